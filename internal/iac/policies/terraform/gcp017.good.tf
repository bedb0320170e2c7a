resource "google_container_cluster" "main" {
  name     = "main"
  location = "europe-west1"
  master_authorized_networks_config {
    cidr_blocks {
      cidr_block = "10.0.0.0/8"
    }
  }
}

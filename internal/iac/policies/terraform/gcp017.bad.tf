resource "google_container_cluster" "main" { # expect: GCP017
  name     = "main"
  location = "europe-west1"
}

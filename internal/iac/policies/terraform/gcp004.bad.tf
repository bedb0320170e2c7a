resource "google_compute_instance" "vm" {
  name         = "vm"
  machine_type = "e2-small"
  network_interface {
    network = "default"
    access_config { # expect: GCP004
    }
  }
}

resource "google_compute_instance" "vm" {
  name = "vm"
  metadata = { # expect: GCP005
    serial-port-enable = "TRUE"
    enable-oslogin     = "false"
  }
}

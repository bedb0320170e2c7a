resource "google_compute_instance" "vm" {
  name = "vm"
  metadata = {
    serial-port-enable     = false
    enable-oslogin         = "TRUE"
    block-project-ssh-keys = true
  }
}

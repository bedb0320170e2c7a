resource "google_compute_instance" "vm" {
  name = "vm"
  service_account {
    scopes = ["cloud-platform"] # expect: GCP006
  }
}

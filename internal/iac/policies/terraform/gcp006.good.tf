resource "google_compute_instance" "vm" {
  name = "vm"
  service_account {
    email  = google_service_account.app.email
    scopes = ["cloud-platform"]
  }
}

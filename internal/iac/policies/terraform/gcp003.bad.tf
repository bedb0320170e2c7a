resource "google_compute_firewall" "ssh" {
  name    = "ssh"
  network = "default"
  allow {
    protocol = "tcp"
    ports    = ["80", "20-30"]
  }
  source_ranges = ["0.0.0.0/0"] # expect: GCP003
}

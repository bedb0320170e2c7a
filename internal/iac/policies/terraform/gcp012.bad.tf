resource "google_compute_subnetwork" "app" { # expect: GCP012
  name          = "app"
  ip_cidr_range = "10.2.0.0/16"
  network       = google_compute_network.vpc.id
}

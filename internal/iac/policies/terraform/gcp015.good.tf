resource "google_compute_network" "good" {
  auto_create_subnetworks = false
}

resource "google_compute_network" "unknown" {
  auto_create_subnetworks = var.setting
}

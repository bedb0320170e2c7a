resource "google_compute_network" "bad" {
  name = "bad"
  auto_create_subnetworks = true # expect: GCP015
}

resource "google_compute_network" "missing" { # expect: GCP015
  name = "missing"
}

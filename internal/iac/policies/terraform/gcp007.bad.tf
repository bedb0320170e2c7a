resource "google_compute_instance" "bad" {
  shielded_instance_config {
    enable_secure_boot = false # expect: GCP007
  }
}

resource "google_compute_instance" "missing" { # expect: GCP007
  name = "x"
}

resource "google_compute_instance" "good" {
  shielded_instance_config {
    enable_secure_boot = true
  }
}

resource "google_compute_instance" "unknown" {
  shielded_instance_config {
    enable_secure_boot = var.setting
  }
}

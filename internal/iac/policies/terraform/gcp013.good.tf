resource "google_container_cluster" "good" {
  enable_legacy_abac = false
}

resource "google_container_cluster" "unknown" {
  enable_legacy_abac = var.setting
}

resource "google_container_cluster" "default" {
  name = "default"
}

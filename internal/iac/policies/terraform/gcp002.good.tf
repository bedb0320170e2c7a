resource "google_storage_bucket" "good" {
  uniform_bucket_level_access = true
}

resource "google_storage_bucket" "unknown" {
  uniform_bucket_level_access = var.setting
}

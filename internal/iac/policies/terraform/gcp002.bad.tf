resource "google_storage_bucket" "bad" {
  name = "bad"
  uniform_bucket_level_access = false # expect: GCP002
}

resource "google_storage_bucket" "missing" { # expect: GCP002
  name = "missing"
}

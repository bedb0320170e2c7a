resource "google_kms_crypto_key" "data" {
  name            = "data"
  key_ring        = google_kms_key_ring.ring.id
  rotation_period = "31536000s" # expect: GCP011
}

resource "google_kms_crypto_key" "never" { # expect: GCP011
  name     = "never"
  key_ring = google_kms_key_ring.ring.id
}

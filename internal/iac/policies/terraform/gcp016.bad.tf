resource "google_compute_ssl_policy" "bad" {
  name = "bad"
  min_tls_version = "TLS_1_0" # expect: GCP016
}

resource "google_compute_ssl_policy" "missing" { # expect: GCP016
  name = "missing"
}

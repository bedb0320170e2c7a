resource "google_compute_ssl_policy" "good" {
  min_tls_version = "TLS_1_2"
}

resource "google_compute_ssl_policy" "unknown" {
  min_tls_version = var.setting
}

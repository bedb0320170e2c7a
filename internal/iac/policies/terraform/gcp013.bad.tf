resource "google_container_cluster" "bad" {
  name = "bad"
  enable_legacy_abac = true # expect: GCP013
}

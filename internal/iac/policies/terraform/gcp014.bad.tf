resource "google_project_iam_member" "ci" {
  project = "acme"
  role    = "roles/editor" # expect: GCP014
  member  = "serviceAccount:ci@acme.iam.gserviceaccount.com"
}

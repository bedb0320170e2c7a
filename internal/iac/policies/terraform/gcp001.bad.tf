resource "google_storage_bucket_iam_member" "public" {
  bucket = google_storage_bucket.site.name
  role   = "roles/storage.objectViewer"
  member = "allUsers" # expect: GCP001
}

resource "google_bigquery_dataset_iam_binding" "public" {
  dataset_id = "sales"
  role       = "roles/bigquery.dataViewer"
  members    = ["group:analysts@example.com", "allAuthenticatedUsers"] # expect: GCP001
}

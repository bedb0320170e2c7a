resource "google_sql_database_instance" "db" {
  name = "db"
  settings {
    tier = "db-f1-micro"
    ip_configuration {
      ssl_mode = "ALLOW_UNENCRYPTED_AND_ENCRYPTED" # expect: GCP009
    }
  }
}

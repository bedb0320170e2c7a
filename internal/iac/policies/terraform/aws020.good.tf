resource "aws_db_instance" "good" {
  storage_encrypted = true
}

resource "aws_db_instance" "unknown" {
  storage_encrypted = var.setting
}

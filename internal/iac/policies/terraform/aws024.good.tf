resource "aws_db_instance" "good" {
  deletion_protection = true
}

resource "aws_db_instance" "unknown" {
  deletion_protection = var.setting
}

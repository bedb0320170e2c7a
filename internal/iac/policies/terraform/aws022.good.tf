resource "aws_db_instance" "good" {
  backup_retention_period = 14
}

resource "aws_db_instance" "unknown" {
  backup_retention_period = var.setting
}

resource "aws_db_instance" "default" {
  name = "default"
}

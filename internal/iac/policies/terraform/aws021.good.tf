resource "aws_db_instance" "good" {
  publicly_accessible = false
}

resource "aws_db_instance" "unknown" {
  publicly_accessible = var.setting
}

resource "aws_db_instance" "default" {
  name = "default"
}

resource "aws_db_instance" "good" {
  auto_minor_version_upgrade = true
}

resource "aws_db_instance" "unknown" {
  auto_minor_version_upgrade = var.setting
}

resource "aws_db_instance" "default" {
  name = "default"
}

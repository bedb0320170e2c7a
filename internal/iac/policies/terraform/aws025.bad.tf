resource "aws_db_instance" "bad" {
  name = "bad"
  auto_minor_version_upgrade = false # expect: AWS025
}

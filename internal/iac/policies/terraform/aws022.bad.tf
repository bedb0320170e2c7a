resource "aws_db_instance" "bad" {
  name = "bad"
  backup_retention_period = 0 # expect: AWS022
}

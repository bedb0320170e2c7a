resource "aws_db_instance" "bad" {
  name = "bad"
  publicly_accessible = true # expect: AWS021
}

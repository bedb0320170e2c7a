resource "aws_db_instance" "bad" {
  name = "bad"
  deletion_protection = false # expect: AWS024
}

resource "aws_db_instance" "missing" { # expect: AWS024
  name = "missing"
}

resource "aws_db_instance" "bad" {
  name = "bad"
  storage_encrypted = false # expect: AWS020
}

resource "aws_db_instance" "missing" { # expect: AWS020
  name = "missing"
}

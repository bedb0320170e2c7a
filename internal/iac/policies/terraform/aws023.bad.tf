resource "aws_rds_cluster" "bad" {
  name = "bad"
  storage_encrypted = false # expect: AWS023
}

resource "aws_rds_cluster" "missing" { # expect: AWS023
  name = "missing"
}

resource "aws_redshift_cluster" "bad" {
  name = "bad"
  encrypted = false # expect: AWS070
}

resource "aws_redshift_cluster" "missing" { # expect: AWS070
  name = "missing"
}

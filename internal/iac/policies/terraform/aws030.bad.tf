resource "aws_ebs_volume" "bad" {
  name = "bad"
  encrypted = false # expect: AWS030
}

resource "aws_ebs_volume" "missing" { # expect: AWS030
  name = "missing"
}

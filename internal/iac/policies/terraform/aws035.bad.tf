resource "aws_ebs_snapshot_copy" "bad" {
  name = "bad"
  encrypted = false # expect: AWS035
}

resource "aws_ebs_snapshot_copy" "missing" { # expect: AWS035
  name = "missing"
}

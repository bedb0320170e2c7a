resource "aws_cloudtrail" "bad" {
  name = "bad"
  kms_key_id = "" # expect: AWS052
}

resource "aws_cloudtrail" "missing" { # expect: AWS052
  name = "missing"
}

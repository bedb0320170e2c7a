resource "aws_sns_topic" "bad" {
  name = "bad"
  kms_master_key_id = "" # expect: AWS064
}

resource "aws_sns_topic" "missing" { # expect: AWS064
  name = "missing"
}

resource "aws_kms_key" "data" { # expect: AWS053
  description = "data"
}

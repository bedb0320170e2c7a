resource "aws_s3_bucket" "good" {
  acl = "private"
}

resource "aws_s3_bucket" "unknown" {
  acl = var.setting
}

resource "aws_s3_bucket" "default" {
  name = "default"
}

resource "aws_ebs_encryption_by_default" "good" {
  enabled = true
}

resource "aws_ebs_encryption_by_default" "unknown" {
  enabled = var.setting
}

resource "aws_ebs_encryption_by_default" "default" {
  name = "default"
}

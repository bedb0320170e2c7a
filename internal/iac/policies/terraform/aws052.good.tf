resource "aws_cloudtrail" "good" {
  kms_key_id = aws_kms_key.trail.arn
}

resource "aws_cloudtrail" "unknown" {
  kms_key_id = var.setting
}

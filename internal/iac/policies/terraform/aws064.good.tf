resource "aws_sns_topic" "good" {
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sns_topic" "unknown" {
  kms_master_key_id = var.setting
}

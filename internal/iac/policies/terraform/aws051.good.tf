resource "aws_cloudtrail" "good" {
  enable_log_file_validation = true
}

resource "aws_cloudtrail" "unknown" {
  enable_log_file_validation = var.setting
}

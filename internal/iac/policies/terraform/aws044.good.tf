resource "aws_iam_account_password_policy" "good" {
  password_reuse_prevention = 24
}

resource "aws_iam_account_password_policy" "unknown" {
  password_reuse_prevention = var.setting
}

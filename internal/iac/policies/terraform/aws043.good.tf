resource "aws_iam_account_password_policy" "good" {
  minimum_password_length = 14
}

resource "aws_iam_account_password_policy" "unknown" {
  minimum_password_length = var.setting
}

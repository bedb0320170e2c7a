resource "aws_iam_account_password_policy" "bad" {
  name = "bad"
  password_reuse_prevention = 5 # expect: AWS044
}

resource "aws_iam_account_password_policy" "missing" { # expect: AWS044
  name = "missing"
}

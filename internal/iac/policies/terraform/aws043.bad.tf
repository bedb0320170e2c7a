resource "aws_iam_account_password_policy" "bad" {
  name = "bad"
  minimum_password_length = 8 # expect: AWS043
}

resource "aws_iam_account_password_policy" "missing" { # expect: AWS043
  name = "missing"
}

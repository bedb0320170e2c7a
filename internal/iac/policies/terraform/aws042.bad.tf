resource "aws_iam_user_policy_attachment" "alice" { # expect: AWS042
  user       = "alice"
  policy_arn = aws_iam_policy.reader.arn
}

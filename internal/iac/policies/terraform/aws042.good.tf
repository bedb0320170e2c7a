resource "aws_iam_group_policy_attachment" "readers" {
  group      = "readers"
  policy_arn = aws_iam_policy.reader.arn
}

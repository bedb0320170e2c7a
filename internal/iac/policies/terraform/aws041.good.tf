data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["s3:GetObject", "s3:List*"]
    resources = ["arn:aws:s3:::data/*"]
  }
}

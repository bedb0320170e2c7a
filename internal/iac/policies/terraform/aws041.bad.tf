data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["s3:*"] # expect: AWS041
    resources = ["arn:aws:s3:::data/*"]
  }
}

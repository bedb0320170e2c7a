resource "aws_iam_policy" "admin" {
  name = "admin"
  policy = jsonencode({ # expect: AWS040
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}

resource "aws_iam_role_policy" "inline" {
  role   = aws_iam_role.app.id
  # expect: AWS040
  policy = <<-EOT
    {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": ["*"], "Resource": ["*"]}}
  EOT
}

data "aws_iam_policy_document" "doc" {
  statement {
    actions   = ["*"] # expect: AWS040
    resources = ["*"]
  }
}

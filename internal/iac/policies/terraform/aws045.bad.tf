resource "aws_iam_role" "open" {
  name = "open"
  assume_role_policy = jsonencode({ # expect: AWS045
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { AWS = "*" } }]
  })
}

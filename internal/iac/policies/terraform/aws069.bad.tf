resource "aws_eks_cluster" "main" { # expect: AWS069
  name     = "main"
  role_arn = aws_iam_role.eks.arn
}

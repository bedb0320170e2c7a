resource "aws_eks_cluster" "main" {
  name     = "main"
  role_arn = aws_iam_role.eks.arn
  vpc_config { # expect: AWS068
    subnet_ids = var.subnets
  }
}

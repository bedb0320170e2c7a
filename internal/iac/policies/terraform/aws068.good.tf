resource "aws_eks_cluster" "main" {
  name     = "main"
  role_arn = aws_iam_role.eks.arn
  vpc_config {
    subnet_ids              = var.subnets
    endpoint_public_access  = true
    public_access_cidrs     = ["203.0.113.0/24"]
  }
}

resource "aws_eks_cluster" "private" {
  name     = "private"
  role_arn = aws_iam_role.eks.arn
  vpc_config {
    subnet_ids             = var.subnets
    endpoint_public_access = false
  }
}

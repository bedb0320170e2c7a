resource "aws_ecr_repository" "good" {
  image_tag_mutability = "IMMUTABLE"
}

resource "aws_ecr_repository" "unknown" {
  image_tag_mutability = var.setting
}

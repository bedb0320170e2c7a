resource "aws_ecr_repository" "good" {
  image_scanning_configuration {
    scan_on_push = true
  }
}

resource "aws_ecr_repository" "unknown" {
  image_scanning_configuration {
    scan_on_push = var.setting
  }
}

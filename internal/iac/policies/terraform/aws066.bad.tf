resource "aws_ecr_repository" "bad" {
  image_scanning_configuration {
    scan_on_push = false # expect: AWS066
  }
}

resource "aws_ecr_repository" "missing" { # expect: AWS066
  name = "x"
}

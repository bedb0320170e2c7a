resource "aws_ecr_repository" "bad" {
  name = "bad"
  image_tag_mutability = "MUTABLE" # expect: AWS067
}

resource "aws_ecr_repository" "missing" { # expect: AWS067
  name = "missing"
}

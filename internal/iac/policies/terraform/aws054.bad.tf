resource "aws_vpc" "main" { # expect: AWS054
  cidr_block = "10.0.0.0/16"
}

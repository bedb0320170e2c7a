resource "aws_security_group" "web" { # expect: AWS012
  name = "web"
}

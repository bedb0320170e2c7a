resource "aws_security_group" "admin" {
  name = "admin"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"] # expect: AWS010
  }
  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group_rule" "rdp" {
  type             = "ingress"
  from_port        = 3000
  to_port          = 4000
  protocol         = "tcp"
  security_group_id = aws_security_group.admin.id
  ipv6_cidr_blocks = ["::/0"] # expect: AWS010
}

resource "aws_vpc_security_group_ingress_rule" "all" {
  security_group_id = aws_security_group.admin.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0" # expect: AWS010
}

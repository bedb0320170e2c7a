variable "cidr" {
  type = string
}

variable "ports" {
  type = list(number)
}

resource "aws_security_group" "ssh" {
  name = "admin"

  dynamic "ingress" {
    for_each = var.ports
    content {
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = [var.cidr]
    }
  }
}

resource "aws_instance" "web" {
  count         = 2
  ami           = "ami-12345678"
  instance_type = upper("t3.micro")
  tags = {
    Name = "web-${count.index}"
  }
}

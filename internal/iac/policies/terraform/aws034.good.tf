resource "aws_instance" "good" {
  associate_public_ip_address = false
}

resource "aws_instance" "unknown" {
  associate_public_ip_address = var.setting
}

resource "aws_instance" "default" {
  name = "default"
}

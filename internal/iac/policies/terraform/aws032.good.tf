resource "aws_instance" "good" {
  root_block_device {
    encrypted = true
  }
}

resource "aws_instance" "unknown" {
  root_block_device {
    encrypted = var.setting
  }
}

# New volumes are encrypted by default in this account and region: an
# instance that says nothing about its root volume is fine.
resource "aws_ebs_encryption_by_default" "on" {
  enabled = true
}

resource "aws_instance" "by_default" {
  ami           = "ami-12345678"
  instance_type = "t3.micro"
}

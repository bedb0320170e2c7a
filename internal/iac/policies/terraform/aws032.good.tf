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

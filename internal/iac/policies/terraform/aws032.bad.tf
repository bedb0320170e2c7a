resource "aws_instance" "bad" {
  root_block_device {
    encrypted = false # expect: AWS032
  }
}

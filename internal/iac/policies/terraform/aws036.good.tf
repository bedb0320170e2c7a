resource "aws_ami_launch_permission" "partner" {
  image_id   = "ami-12345678"
  account_id = "123456789012"
}

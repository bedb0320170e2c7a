resource "aws_instance" "bad" {
  name = "bad"
  associate_public_ip_address = true # expect: AWS034
}

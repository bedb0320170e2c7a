resource "aws_ebs_encryption_by_default" "bad" {
  name = "bad"
  enabled = false # expect: AWS031
}

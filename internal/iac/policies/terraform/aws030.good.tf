resource "aws_ebs_volume" "good" {
  encrypted = true
}

resource "aws_ebs_volume" "unknown" {
  encrypted = var.setting
}

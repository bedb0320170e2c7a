resource "aws_ebs_snapshot_copy" "good" {
  encrypted = true
}

resource "aws_ebs_snapshot_copy" "unknown" {
  encrypted = var.setting
}

resource "aws_efs_file_system" "good" {
  encrypted = true
}

resource "aws_efs_file_system" "unknown" {
  encrypted = var.setting
}

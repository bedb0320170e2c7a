resource "aws_rds_cluster" "good" {
  storage_encrypted = true
}

resource "aws_rds_cluster" "unknown" {
  storage_encrypted = var.setting
}

resource "aws_redshift_cluster" "good" {
  encrypted = true
}

resource "aws_redshift_cluster" "unknown" {
  encrypted = var.setting
}

resource "aws_redshift_cluster" "good" {
  publicly_accessible = false
}

resource "aws_redshift_cluster" "unknown" {
  publicly_accessible = var.setting
}

resource "aws_redshift_cluster" "default" {
  name = "default"
}

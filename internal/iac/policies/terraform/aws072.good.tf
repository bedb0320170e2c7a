resource "aws_elasticache_replication_group" "good" {
  at_rest_encryption_enabled = true
}

resource "aws_elasticache_replication_group" "unknown" {
  at_rest_encryption_enabled = var.setting
}

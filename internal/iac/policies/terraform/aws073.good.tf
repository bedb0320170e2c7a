resource "aws_elasticache_replication_group" "good" {
  transit_encryption_enabled = true
}

resource "aws_elasticache_replication_group" "unknown" {
  transit_encryption_enabled = var.setting
}

resource "aws_elasticache_replication_group" "bad" {
  name = "bad"
  transit_encryption_enabled = false # expect: AWS073
}

resource "aws_elasticache_replication_group" "missing" { # expect: AWS073
  name = "missing"
}

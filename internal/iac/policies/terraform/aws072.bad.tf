resource "aws_elasticache_replication_group" "bad" {
  name = "bad"
  at_rest_encryption_enabled = false # expect: AWS072
}

resource "aws_elasticache_replication_group" "missing" { # expect: AWS072
  name = "missing"
}

resource "aws_opensearch_domain" "good" {
  node_to_node_encryption {
    enabled = true
  }
}

resource "aws_opensearch_domain" "unknown" {
  node_to_node_encryption {
    enabled = var.setting
  }
}

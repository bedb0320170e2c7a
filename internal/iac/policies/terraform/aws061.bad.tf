resource "aws_opensearch_domain" "bad" {
  node_to_node_encryption {
    enabled = false # expect: AWS061
  }
}

resource "aws_opensearch_domain" "missing" { # expect: AWS061
  name = "x"
}

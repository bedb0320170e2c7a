resource "aws_opensearch_domain" "good" {
  encrypt_at_rest {
    enabled = true
  }
}

resource "aws_opensearch_domain" "unknown" {
  encrypt_at_rest {
    enabled = var.setting
  }
}

resource "aws_opensearch_domain" "bad" {
  encrypt_at_rest {
    enabled = false # expect: AWS060
  }
}

resource "aws_opensearch_domain" "missing" { # expect: AWS060
  name = "x"
}

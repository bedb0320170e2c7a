resource "aws_opensearch_domain" "bad" {
  domain_endpoint_options {
    enforce_https = false # expect: AWS062
  }
}

resource "aws_opensearch_domain" "missing" { # expect: AWS062
  name = "x"
}

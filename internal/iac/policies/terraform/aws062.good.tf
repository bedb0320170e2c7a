resource "aws_opensearch_domain" "good" {
  domain_endpoint_options {
    enforce_https = true
  }
}

resource "aws_opensearch_domain" "unknown" {
  domain_endpoint_options {
    enforce_https = var.setting
  }
}

resource "aws_cloudfront_distribution" "bad" {
  viewer_certificate {
    minimum_protocol_version = "TLSv1" # expect: AWS058
  }
}

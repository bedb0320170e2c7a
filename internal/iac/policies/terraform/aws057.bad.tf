resource "aws_cloudfront_distribution" "bad" {
  default_cache_behavior {
    viewer_protocol_policy = "allow-all" # expect: AWS057
  }
}

resource "aws_cloudfront_distribution" "good" {
  default_cache_behavior {
    viewer_protocol_policy = "redirect-to-https"
  }
}

resource "aws_cloudfront_distribution" "unknown" {
  default_cache_behavior {
    viewer_protocol_policy = var.setting
  }
}

resource "aws_cloudfront_distribution" "good" {
  viewer_certificate {
    minimum_protocol_version = "TLSv1.2_2021"
  }
}

resource "aws_cloudfront_distribution" "unknown" {
  viewer_certificate {
    minimum_protocol_version = var.setting
  }
}

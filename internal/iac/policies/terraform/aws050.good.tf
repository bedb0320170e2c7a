resource "aws_cloudtrail" "good" {
  is_multi_region_trail = true
}

resource "aws_cloudtrail" "unknown" {
  is_multi_region_trail = var.setting
}

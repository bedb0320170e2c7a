resource "aws_cloudtrail" "bad" {
  name = "bad"
  is_multi_region_trail = false # expect: AWS050
}

resource "aws_cloudtrail" "missing" { # expect: AWS050
  name = "missing"
}

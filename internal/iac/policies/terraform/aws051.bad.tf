resource "aws_cloudtrail" "bad" {
  name = "bad"
  enable_log_file_validation = false # expect: AWS051
}

resource "aws_cloudtrail" "missing" { # expect: AWS051
  name = "missing"
}

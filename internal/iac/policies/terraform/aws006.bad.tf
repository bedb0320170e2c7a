resource "aws_s3_bucket" "data" { # expect: AWS006
  bucket = "acme-data"
}

resource "aws_s3_bucket" "other" { # expect: AWS006
  bucket = "acme-other"
}

# Logging for another bucket does not count.
resource "aws_s3_bucket_logging" "elsewhere" {
  bucket        = "acme-elsewhere"
  target_bucket = "acme-central-logs"
}

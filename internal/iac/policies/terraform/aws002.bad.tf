resource "aws_s3_bucket_public_access_block" "bad" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = false # expect: AWS002
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_account_public_access_block" "missing" { # expect: AWS002
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
}

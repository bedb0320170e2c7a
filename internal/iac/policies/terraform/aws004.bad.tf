resource "aws_s3_bucket_versioning" "bad" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Suspended" # expect: AWS004
  }
}

resource "aws_s3_bucket" "legacy" {
  bucket = "legacy"
  versioning {
    enabled = false # expect: AWS004
  }
}

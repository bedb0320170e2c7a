resource "aws_s3_bucket_policy" "bad" {
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({ # expect: AWS005
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = "*"
      Action    = "s3:GetObject"
      Resource  = "arn:aws:s3:::site/*"
    }]
  })
}

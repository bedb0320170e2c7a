resource "aws_s3_bucket" "bad" {
  name = "bad"
  acl = "public-read" # expect: AWS001
}

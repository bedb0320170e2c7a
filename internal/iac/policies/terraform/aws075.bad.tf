resource "aws_guardduty_detector" "bad" {
  name = "bad"
  enable = false # expect: AWS075
}

resource "aws_guardduty_detector" "good" {
  enable = true
}

resource "aws_guardduty_detector" "unknown" {
  enable = var.setting
}

resource "aws_guardduty_detector" "default" {
  name = "default"
}

resource "aws_api_gateway_method" "good" {
  authorization = "AWS_IAM"
}

resource "aws_api_gateway_method" "unknown" {
  authorization = var.setting
}

resource "aws_api_gateway_method" "default" {
  name = "default"
}

resource "aws_lambda_function_url" "good" {
  authorization_type = "AWS_IAM"
}

resource "aws_lambda_function_url" "unknown" {
  authorization_type = var.setting
}

resource "aws_lambda_function_url" "default" {
  name = "default"
}

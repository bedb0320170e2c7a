resource "aws_lambda_function_url" "bad" {
  name = "bad"
  authorization_type = "NONE" # expect: AWS076
}

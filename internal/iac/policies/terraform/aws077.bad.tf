resource "aws_api_gateway_method" "bad" {
  name = "bad"
  authorization = "NONE" # expect: AWS077
}

resource "aws_dynamodb_table" "bad" {
  point_in_time_recovery {
    enabled = false # expect: AWS065
  }
}

resource "aws_dynamodb_table" "missing" { # expect: AWS065
  name = "x"
}

resource "aws_dynamodb_table" "good" {
  point_in_time_recovery {
    enabled = true
  }
}

resource "aws_dynamodb_table" "unknown" {
  point_in_time_recovery {
    enabled = var.setting
  }
}

resource "aws_instance" "bad" {
  metadata_options {
    http_tokens = "optional" # expect: AWS033
  }
}

resource "aws_instance" "missing" { # expect: AWS033
  name = "x"
}

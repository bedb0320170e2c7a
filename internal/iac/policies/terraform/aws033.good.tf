resource "aws_instance" "good" {
  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_instance" "unknown" {
  metadata_options {
    http_tokens = var.setting
  }
}

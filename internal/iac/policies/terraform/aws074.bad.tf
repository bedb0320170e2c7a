resource "aws_efs_file_system" "bad" {
  name = "bad"
  encrypted = false # expect: AWS074
}

resource "aws_efs_file_system" "missing" { # expect: AWS074
  name = "missing"
}

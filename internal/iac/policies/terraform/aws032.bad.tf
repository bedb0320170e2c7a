resource "aws_instance" "bad" {
  root_block_device {
    encrypted = false # expect: AWS032
  }
}

resource "aws_instance" "no_block" { # expect: AWS032
  ami           = "ami-12345678"
  instance_type = "t3.micro"
}

resource "aws_launch_configuration" "unstated" {
  image_id = "ami-12345678"
  root_block_device { # expect: AWS032
    volume_size = 20
  }
}

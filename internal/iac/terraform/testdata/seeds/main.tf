variable "env" {
  default = "dev"
}

variable "open_cidr" {}

locals {
  name        = "${var.env}-${local.suffix}"
  suffix      = "data"
  admin_ports = [22, 3389]
}

resource "aws_s3_bucket" "data" {
  bucket = local.name
  acl    = "public-read"
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id
  versioning_configuration {
    status = "Suspended"
  }
}

module "net" {
  source = "./modules/net"
  cidr   = var.open_cidr
  ports  = local.admin_ports
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.0.0"
}

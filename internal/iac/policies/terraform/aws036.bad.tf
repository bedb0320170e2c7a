resource "aws_ami_launch_permission" "public" {
  image_id = "ami-12345678"
  group    = "all" # expect: AWS036
}

resource "aws_db_snapshot" "snap" {
  db_instance_identifier = aws_db_instance.db.identifier
  db_snapshot_identifier = "snap"
  shared_accounts        = ["all"] # expect: AWS036
}

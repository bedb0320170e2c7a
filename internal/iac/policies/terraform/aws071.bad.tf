resource "aws_redshift_cluster" "bad" {
  name = "bad"
  publicly_accessible = true # expect: AWS071
}

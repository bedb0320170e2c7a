resource "aws_lb_listener" "bad" {
  name = "bad"
  ssl_policy = "ELBSecurityPolicy-2016-08" # expect: AWS056
}

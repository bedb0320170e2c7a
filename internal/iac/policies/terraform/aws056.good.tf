resource "aws_lb_listener" "good" {
  ssl_policy = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

resource "aws_lb_listener" "unknown" {
  ssl_policy = var.setting
}

resource "aws_lb_listener" "default" {
  name = "default"
}

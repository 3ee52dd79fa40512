# The public entry point. It forwards to portal only, through two target groups (blue and
# green) that ECS swaps during a blue/green deployment:
#   - production listener (HTTPS with a certificate, else HTTP) -> rule -> blue/green weights
#   - test listener (closed to the internet unless test_listener_cidrs is set) -> rule -> the
#     new version before it takes production traffic
# ECS changes the weights in both rules during a deployment, so Terraform ignores them after
# creation.

locals {
  https              = var.certificate_arn != null
  production_port    = local.https ? 443 : 80
  production_listens = local.https ? "HTTPS" : "HTTP"
}

resource "aws_lb" "this" {
  #checkov:skip=CKV2_AWS_28:A WAF web ACL is listed under production additions in docs/deploy.md; it is priced per rule and per request.
  #checkov:skip=CKV2_AWS_20:Port 80 redirects to HTTPS whenever certificate_arn is set (aws_lb_listener.http_redirect); without a certificate HTTP is all there is.
  #checkov:skip=CKV_AWS_91:Access logs need an S3 bucket with its own policies; listed under production additions in docs/deploy.md.
  name                       = var.name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [var.security_group_id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
  # Seconds an idle client or target connection stays open. Every service's own idle
  # keep-alive timeout (HTTP_IDLE_TIMEOUT) is set longer in the root module, so the load
  # balancer always closes an idle connection first and never reuses one the target closed
  # (which it would answer with a 502).
  idle_timeout = var.idle_timeout_seconds
  tags         = var.tags
}

# Two identical groups: ECS registers the running version in one and the new one in the other.
resource "aws_lb_target_group" "portal" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the hop to the task stays inside the VPC's private subnets.
  for_each             = toset(["blue", "green"])
  name                 = "${var.name}-portal-${each.key}"
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip" # Fargate tasks register by ENI address
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay_seconds

  health_check {
    # /healthz, not /readyz: portal serves its last snapshot (with a banner) when hardware is
    # down, so an outage of hardware must not take every portal task out of the load balancer.
    path                = "/healthz"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Service = "portal", Color = each.key })
}

# Production listener: plain HTTP only when no certificate is given (first deploy, demo).
resource "aws_lb_listener" "production" {
  #checkov:skip=CKV_AWS_2:HTTPS is used whenever certificate_arn is set; without a certificate the only possible listener is HTTP.
  #checkov:skip=CKV_AWS_103:TLS 1.2+ policy applies when the listener is HTTPS (certificate_arn set).
  load_balancer_arn = aws_lb.this.arn
  port              = local.production_port
  protocol          = local.production_listens
  ssl_policy        = local.https ? var.ssl_policy : null
  certificate_arn   = var.certificate_arn

  # Anything no rule matches is a 404 from the load balancer itself.
  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "not found"
      status_code  = "404"
    }
  }
}

# With HTTPS on 443, port 80 only redirects.
resource "aws_lb_listener" "http_redirect" {
  #checkov:skip=CKV_AWS_2:This listener only redirects to HTTPS.
  #checkov:skip=CKV_AWS_103:This listener only redirects to HTTPS.
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# The test listener speaks what production speaks: HTTPS with the same certificate once there
# is one (the load balancer is internet-facing, and smoke checks may carry the same cookies
# and headers as real users), plain HTTP only while production is plain HTTP too.
resource "aws_lb_listener" "test" {
  #checkov:skip=CKV_AWS_2:HTTPS whenever certificate_arn is set, as production; without a certificate HTTP is all there is, and the listener is reachable only from test_listener_cidrs.
  #checkov:skip=CKV_AWS_103:TLS 1.2+ policy applies when the listener is HTTPS (certificate_arn set).
  load_balancer_arn = aws_lb.this.arn
  port              = var.test_listener_port
  protocol          = local.production_listens
  ssl_policy        = local.https ? var.ssl_policy : null
  certificate_arn   = var.certificate_arn

  default_action {
    type = "fixed-response"
    fixed_response {
      content_type = "text/plain"
      message_body = "not found"
      status_code  = "404"
    }
  }
}

# One forwarding rule per listener, to both of portal's target groups: production starts on
# blue, the test listener on green.
locals {
  listener_rules = {
    production = { listener_arn = aws_lb_listener.production.arn, blue_weight = 100, green_weight = 0 }
    test       = { listener_arn = aws_lb_listener.test.arn, blue_weight = 0, green_weight = 100 }
  }
}

resource "aws_lb_listener_rule" "portal" {
  for_each     = local.listener_rules
  listener_arn = each.value.listener_arn
  priority     = 100

  action {
    type = "forward"
    forward {
      target_group {
        arn    = aws_lb_target_group.portal["blue"].arn
        weight = each.value.blue_weight
      }
      target_group {
        arn    = aws_lb_target_group.portal["green"].arn
        weight = each.value.green_weight
      }
    }
  }

  condition {
    path_pattern {
      values = ["/*"]
    }
  }

  # ECS shifts the weights during a blue/green deployment.
  lifecycle {
    ignore_changes = [action]
  }
}

# Where the two rules lived before they became one for_each: an applied stack keeps them.
moved {
  from = aws_lb_listener_rule.production
  to   = aws_lb_listener_rule.portal["production"]
}

moved {
  from = aws_lb_listener_rule.test
  to   = aws_lb_listener_rule.portal["test"]
}

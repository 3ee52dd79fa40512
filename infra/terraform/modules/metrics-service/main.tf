# The private collector of response times: Fargate tasks in private subnets without public
# addresses, next to hardware. Two ways in, both private:
#
#   - UDP 8125 (response times from portal and hardware) through an internal Network Load
#     Balancer with one fixed private address per zone. ECS Service Connect proxies TCP
#     connections only (its proxy speaks HTTP, HTTP/2, gRPC or plain TCP), so it cannot carry
#     the datagrams; and metrics-client takes IP:PORT collectors only (it never resolves names,
#     so start-up never waits on DNS), so a Cloud Map name would not do either. Fixed addresses
#     are what the senders' METRICS_UDP can hold; the load balancer keeps them valid while
#     tasks come and go.
#   - HTTP 8080 (the query API) through Service Connect as metrics.<namespace>, for portal and
#     hardware (the security groups allow no one else).
#
# Rolling deployments: Terraform registers a task definition revision with each new image and
# updates the service itself (infra/deployer releases portal and hardware only), waiting for
# a steady state so that scripts/deploy.sh fails when metrics does not come up.

locals {
  # One fixed address per private subnet, near the top of its range (AWS reserves only the
  # last one there; tasks take addresses anywhere, so a clash at creation is unlikely and
  # reported by the create call; then pick another ingest_host_number).
  ingest_addresses = [for cidr in var.private_subnet_cidrs : cidrhost(cidr, var.ingest_host_number)]
}

resource "aws_lb" "ingest" {
  #checkov:skip=CKV_AWS_91:Access logs of an internal UDP load balancer would log every datagram flow of the response-time stream; its target group health and flow metrics are in CloudWatch.
  #checkov:skip=CKV_AWS_150:Deletion protection follows the stack's deletion_protection variable (on by default).
  name                             = "${var.name_prefix}-metrics"
  internal                         = true
  load_balancer_type               = "network"
  security_groups                  = [var.ingest_security_group_id]
  enable_deletion_protection       = var.deletion_protection
  enable_cross_zone_load_balancing = true # either address reaches a task in either zone

  dynamic "subnet_mapping" {
    for_each = var.private_subnet_ids
    content {
      subnet_id            = subnet_mapping.value
      private_ipv4_address = local.ingest_addresses[subnet_mapping.key]
    }
  }

  tags = var.tags
}

resource "aws_lb_target_group" "udp" {
  name                 = "${var.name_prefix}-metrics-udp"
  port                 = var.udp_port
  protocol             = "UDP"
  target_type          = "ip" # Fargate tasks register by ENI address
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay_seconds
  # At the end of the deregistration delay the flows of a stopping task move to the others
  # (a sender's socket is one flow, which would otherwise stick to the old task).
  connection_termination = true

  # UDP has no answer to check: the health check asks the task's HTTP /healthz.
  health_check {
    protocol            = "HTTP"
    port                = tostring(var.container_port)
    path                = "/healthz"
    matcher             = "200"
    interval            = 10
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Service = "metrics" })
}

resource "aws_lb_listener" "udp" {
  load_balancer_arn = aws_lb.ingest.arn
  port              = var.udp_port
  protocol          = "UDP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.udp.arn
  }

  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name                               = "metrics"
  cluster                            = var.cluster_arn
  task_definition                    = var.task_definition_arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 30
  # terraform apply returns once the new tasks are healthy (or fails): metrics has no
  # release step of its own that would wait for it.
  wait_for_steady_state = true

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  # The target health of this group is the task's health (the image has no healthcheck mode).
  load_balancer {
    target_group_arn = aws_lb_target_group.udp.arn
    container_name   = "metrics"
    container_port   = var.udp_port
  }

  deployment_configuration {
    strategy = "ROLLING"
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Server side of Service Connect for the query API.
  service_connect_configuration {
    enabled   = true
    namespace = var.service_connect_namespace_arn

    service {
      port_name      = "http"
      discovery_name = "metrics"

      client_alias {
        dns_name = var.dns_name
        port     = var.container_port
      }

      # Shorter than metrics' own HTTP_IDLE_TIMEOUT: the proxy closes idle connections first.
      timeout {
        idle_timeout_seconds = var.proxy_idle_timeout_seconds
      }
    }
  }

  # desired_count may be changed by hand or by a later autoscaling policy; task_definition is
  # Terraform's own (a new image tag is a new revision, rolled out by this service).
  lifecycle {
    ignore_changes = [desired_count]
  }

  # ECS refuses a target group that no listener uses yet.
  depends_on = [aws_lb_listener.udp]
  tags       = var.tags
}

# The private service: Fargate tasks in private subnets without public addresses, attached to
# no load balancer, reachable only through Service Connect as hardware.<namespace> (and the
# security groups allow only portal). Rolling deployments: it has no public traffic to shift.

resource "aws_ecs_service" "this" {
  name                               = "hardware"
  cluster                            = var.cluster_arn
  task_definition                    = var.task_definition_arn
  desired_count                      = var.desired_count
  launch_type                        = "FARGATE"
  platform_version                   = "LATEST"
  propagate_tags                     = "SERVICE"
  enable_ecs_managed_tags            = true
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  deployment_configuration {
    strategy = "ROLLING"
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # Server side of Service Connect: the stable private name portal uses in HARDWARE_URL.
  service_connect_configuration {
    enabled   = true
    namespace = var.service_connect_namespace_arn

    service {
      port_name      = "http"
      discovery_name = "hardware"

      client_alias {
        dns_name = var.dns_name
        port     = var.container_port
      }

      # The proxies close idle connections after this; hardware's own keep-alive timeout
      # (HTTP_IDLE_TIMEOUT) is longer, so hardware never closes a connection a proxy may
      # still reuse.
      timeout {
        idle_timeout_seconds = var.proxy_idle_timeout_seconds
      }
    }
  }

  # desired_count belongs to autoscaling, task_definition to releases.
  lifecycle {
    ignore_changes = [desired_count, task_definition]
  }

  tags = var.tags
}

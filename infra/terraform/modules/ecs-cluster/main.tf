# The ECS cluster (Fargate only) and the Cloud Map namespace that ECS Service Connect uses to
# give hardware its stable private name.

resource "aws_service_discovery_http_namespace" "this" {
  name        = var.service_connect_namespace
  description = "Service Connect names of ${var.name} (hardware is reached as hardware.${var.service_connect_namespace})"
  tags        = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  # Per-task CPU, memory and network metrics; the dashboards in docs/deploy.md use them.
  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  service_connect_defaults {
    namespace = aws_service_discovery_http_namespace.this.arn
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

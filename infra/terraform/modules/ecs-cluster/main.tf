# The ECS cluster (Fargate only) and the Cloud Map namespace that ECS Service Connect uses to
# give hardware its stable private name.

locals {
  # A namespace name is unique per account and region: derived from the stack name like
  # every other name, so staging and production can live side by side.
  namespace = coalesce(var.service_connect_namespace, "${var.name}.internal")
}

resource "aws_service_discovery_http_namespace" "this" {
  name        = local.namespace
  description = "Service Connect names of ${var.name} (hardware is reached as hardware.${local.namespace})"
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

# FARGATE only: no service uses FARGATE_SPOT (an interruption of a blue/green portal task
# during a release, or of the only hardware task, is not worth the saving at this size).
resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

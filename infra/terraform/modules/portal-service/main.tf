# The public service: Fargate tasks in private subnets without public addresses, behind the
# ALB, released with ECS-native blue/green.
#
# A release (infra/deployer, called by scripts/deploy.sh) registers a new task definition
# revision and updates the service; ECS starts the new tasks in the alternate target group,
# sends test-listener traffic to them, shifts production traffic, waits the bake time and
# rolls back by itself when the circuit breaker trips or the PAUSE hook times out. Terraform therefore
# creates the service but ignores what releases and autoscaling change afterwards.

data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs.amazonaws.com"]
    }
  }
}

# Lets ECS move the listener-rule weights and target registrations during a deployment.
resource "aws_iam_role" "blue_green" {
  name_prefix        = "${var.name_prefix}-portal-bg-"
  description        = "ECS shifts portal traffic between the blue and green target groups"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "blue_green" {
  role       = aws_iam_role.blue_green.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers"
}

# IAM is eventually consistent: CreateService succeeds as soon as the attachment call returns,
# but ECS may be refused when it first assumes the role or uses its policy, and the first
# deployment then fails with no earlier one to return to. AWS documents that changes "take
# time to become visible" and asks callers to wait (IAM User Guide, "Changes that I make are
# not always immediately visible"). depends_on on the attachment only orders the API calls;
# this waits, once, when the role or its policy attachment is created or replaced.
resource "terraform_data" "blue_green_role_propagated" {
  triggers_replace = [aws_iam_role.blue_green.arn, aws_iam_role_policy_attachment.blue_green.id]

  provisioner "local-exec" {
    command = "sleep ${var.iam_propagation_seconds}"
  }
}

resource "aws_ecs_service" "this" {
  name                              = "portal"
  cluster                           = var.cluster_arn
  task_definition                   = var.task_definition_arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true
  health_check_grace_period_seconds = 30
  # No deployment_minimum_healthy_percent / deployment_maximum_percent: under BLUE_GREEN ECS
  # starts a complete green set beside blue and ignores both (they apply to ROLLING only).

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.blue_target_group_arn
    container_name   = "portal"
    container_port   = var.container_port

    advanced_configuration {
      alternate_target_group_arn = var.green_target_group_arn
      production_listener_rule   = var.production_listener_rule_arn
      test_listener_rule         = var.test_listener_rule_arn
      role_arn                   = aws_iam_role.blue_green.arn
    }
  }

  deployment_configuration {
    strategy             = "BLUE_GREEN"
    bake_time_in_minutes = var.bake_time_minutes

    # The release gate. Without a hook ECS moves straight from POST_TEST_TRAFFIC_SHIFT to the
    # production shift, so smoke checks on the test listener could only judge a release after
    # users already had it. A PAUSE hook holds the deployment there (green serves only the
    # test listener) until `deployer release` has run its smoke checks and calls
    # ContinueServiceDeployment with CONTINUE or ROLLBACK. If nobody answers (the deployer
    # died, the operator's laptop slept) the timeout rolls back: the safe default.
    lifecycle_hook {
      target_type      = "PAUSE"
      lifecycle_stages = ["POST_TEST_TRAFFIC_SHIFT"]

      timeout_configuration {
        timeout_in_minutes = var.smoke_gate_timeout_minutes
        action             = "ROLLBACK"
      }
    }
  }

  # Tasks that never become healthy stop the deployment and bring the last good one back.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  # No `alarms` block: ECS's alarm rollback watches a fixed list of alarms for the whole
  # deployment, so it would act on the test listener's traffic before the production shift
  # (the new target group's alarms), on the old revision's alarms (a fault that was firing
  # before the release, which blocks every fix-forward), and a second time on what
  # `deployer release` already acts on. The deployer rolls back on alarms of the target group
  # that carries production traffic, entered ALARM after the release started, from the
  # production shift to the end of the bake time (docs/deploy.md, "Which rollback acts on
  # what"). The alarms still page through alarm_actions when no deployer is running.

  # Client side of Service Connect: portal reaches hardware as hardware.<namespace>.
  service_connect_configuration {
    enabled   = true
    namespace = var.service_connect_namespace_arn
  }

  # desired_count belongs to autoscaling, task_definition to releases, and load_balancer
  # swaps its blue and green target groups at every blue/green deployment.
  lifecycle {
    ignore_changes = [desired_count, task_definition, load_balancer]
  }

  depends_on = [terraform_data.blue_green_role_propagated]
  tags       = var.tags
}

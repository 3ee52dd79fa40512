# Target tracking for one ECS service's desired count.
#
# Requests: ECS blue/green moves production traffic between two target groups at every
# release, and the predefined ALBRequestCountPerTarget names one group (its resource label).
# One predefined policy per group does not work: the idle group has no targets, so its alarms
# sit in INSUFFICIENT_DATA, and Application Auto Scaling scales in only when every policy
# agrees, so the service would never scale in after its first release. Instead ONE policy
# tracks the same CloudWatch metric, RequestCountPerTarget, summed over the service's target
# groups with metric math: outside a deployment only one group has targets and traffic, so
# the sum is that group's requests per task per minute, whichever colour it is; FILL(…, 0)
# makes the idle group's missing datapoints count as 0 instead of making the sum missing.
# During a deployment both groups have tasks, but production traffic goes to one group at a
# time, so the sum stays the load per task of the set serving it (test-listener requests to
# the new set add a little).

resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  scalable_dimension = "ecs:service:DesiredCount"
  resource_id        = "service/${var.cluster_name}/${var.service_name}"
  min_capacity       = var.min_capacity
  max_capacity       = var.max_capacity
  tags               = var.tags
}

resource "aws_appautoscaling_policy" "request_count" {
  count              = var.metric == "ALBRequestCountPerTarget" ? 1 : 0
  name               = "${var.service_name}-requests-per-target"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.target_value
    scale_in_cooldown  = var.scale_in_cooldown_seconds
    scale_out_cooldown = var.scale_out_cooldown_seconds

    customized_metric_specification {
      # The tracked value: requests per task per minute, e.g. "FILL(blue, 0) + FILL(green, 0)".
      metrics {
        id          = "requests_per_target"
        label       = "RequestCountPerTarget of ${var.service_name}, summed over its target groups"
        expression  = join(" + ", [for id in keys(var.target_group_arn_suffixes) : "FILL(${id}, 0)"])
        return_data = true
      }

      dynamic "metrics" {
        for_each = var.target_group_arn_suffixes
        content {
          id          = metrics.key
          label       = "RequestCountPerTarget of the ${metrics.key} target group"
          return_data = false

          metric_stat {
            # The only valid statistic of RequestCountPerTarget is Sum (it is already a
            # per-target figure), as in the predefined ALBRequestCountPerTarget.
            stat = "Sum"

            metric {
              namespace   = "AWS/ApplicationELB"
              metric_name = "RequestCountPerTarget"

              dimensions {
                name  = "LoadBalancer"
                value = var.load_balancer_arn_suffix
              }

              dimensions {
                name  = "TargetGroup"
                value = metrics.value
              }
            }
          }
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.load_balancer_arn_suffix != null && length(var.target_group_arn_suffixes) > 0
      error_message = "ALBRequestCountPerTarget needs load_balancer_arn_suffix and at least one entry in target_group_arn_suffixes."
    }
  }
}

# Backlog: the work hardware has to do is the profiles due for a computation, and each task
# clears them at a fixed rate (workers / 5 s) whatever its CPU shows (the computation is a
# blocking sleep, so CPU never rises). Every hardware task sees the same shared database and
# publishes the same DueProfiles (as embedded metric format log lines, see hardware's
# backlog.rs); divided by the running tasks it is the backlog per task, the quantity target
# tracking can hold: AWS's documented pattern for scaling on a queue ("backlog per
# instance"). The target is what one task clears in one refresh interval (root main.tf).
resource "aws_appautoscaling_policy" "backlog" {
  count              = var.metric == "DueProfilesPerTask" ? 1 : 0
  name               = "${var.service_name}-due-profiles-per-task"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.target_value
    scale_in_cooldown  = var.scale_in_cooldown_seconds
    scale_out_cooldown = var.scale_out_cooldown_seconds

    customized_metric_specification {
      metrics {
        id          = "due_per_task"
        label       = "Profiles due per running ${var.service_name} task"
        expression  = "FILL(due, 0) / FILL(tasks, 1)"
        return_data = true
      }

      metrics {
        id          = "due"
        label       = "Profiles due (stale or never computed)"
        return_data = false

        metric_stat {
          # Every task reports the same count (one shared database): the average is it.
          stat = "Average"

          metric {
            namespace   = var.backlog_metric_namespace
            metric_name = "DueProfiles"

            dimensions {
              name  = "ServiceName"
              value = var.service_name
            }
          }
        }
      }

      metrics {
        id          = "tasks"
        label       = "Running ${var.service_name} tasks"
        return_data = false

        metric_stat {
          stat = "Average"

          metric {
            # Container Insights (enabled on the cluster) publishes the running task count.
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"

            dimensions {
              name  = "ClusterName"
              value = var.cluster_name
            }

            dimensions {
              name  = "ServiceName"
              value = var.service_name
            }
          }
        }
      }
    }
  }

  lifecycle {
    precondition {
      condition     = var.backlog_metric_namespace != null
      error_message = "DueProfilesPerTask needs backlog_metric_namespace."
    }
  }
}

resource "aws_appautoscaling_policy" "cpu" {
  count              = var.metric == "ECSServiceAverageCPUUtilization" ? 1 : 0
  name               = "${var.service_name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension
  resource_id        = aws_appautoscaling_target.this.resource_id

  target_tracking_scaling_policy_configuration {
    target_value       = var.target_value
    scale_in_cooldown  = var.scale_in_cooldown_seconds
    scale_out_cooldown = var.scale_out_cooldown_seconds

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

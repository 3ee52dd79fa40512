# Alarms on what a visitor sees, for the deployer's release gate and for paging.
#
# What a release is judged on is production traffic only. During a blue/green deployment the
# test listener sends smoke checks (and whoever test_listener_cidrs admits) to the new
# revision's target group while production still goes to the old one, so an alarm over the
# whole load balancer mixes the two: a few failed smoke checks at low traffic would look like
# a production incident. The target-group alarms below therefore come in pairs, one per
# target group (blue, green); `deployer release` reads which group the production listener
# rule forwards to and counts only that group's alarms, from the production shift on (see
# docs/deploy.md, "Which rollback acts on what").
#
# The load balancer's own 5xx (HTTPCode_ELB_5XX_Count: 502 when a task crashes or resets the
# connection, 503 with no healthy target, 504 on a timeout) are published per load balancer
# only, never per target group (ELB User Guide, "CloudWatch metrics for your Application Load
# Balancer": its dimensions are LoadBalancer and AvailabilityZone), so they have one alarm of
# their own. A release whose tasks crash produces only that kind.
#
# CloudWatch publishes a count only in minutes when it is not zero, so each count is FILLed
# with 0: without it a minute with only errors would have no denominator.

resource "aws_cloudwatch_metric_alarm" "portal_5xx_rate" {
  for_each            = var.target_group_arn_suffixes
  alarm_name          = "${var.name_prefix}-portal-${each.key}-5xx-rate"
  alarm_description   = "More than ${var.max_5xx_percent}% of the responses portal's ${each.key} target group gives are 5xx for ${var.evaluation_periods} minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_5xx_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.evaluation_periods
  # No traffic (the idle target group) is not an error.
  treat_missing_data = "notBreaching"
  alarm_actions      = var.alarm_actions
  ok_actions         = var.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(errors > 0, 100 * errors / total, 0)"
    label       = "5xx percent (${each.key} target group)"
    return_data = true
  }

  metric_query {
    id         = "errors"
    expression = "FILL(target_5xx, 0)"
    label      = "5xx responses (${each.key} target group)"
  }

  metric_query {
    id         = "total"
    expression = "MAX([FILL(requests, 0), errors])"
    label      = "Responses"
  }

  metric_query {
    id = "target_5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
      period      = 60
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "load_balancer_5xx_rate" {
  alarm_name          = "${var.name_prefix}-portal-lb-5xx-rate"
  alarm_description   = "More than ${var.max_5xx_percent}% of portal requests get a 5xx from the load balancer itself (no healthy target, a crashed or timed-out task) for ${var.evaluation_periods} minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_5xx_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions

  # RequestCount leaves out requests the load balancer rejects before choosing a target (a 503
  # with no healthy target), so the denominator is at least the errors: a minute of nothing
  # but load balancer 5xx is 100 %, not a division by zero.
  metric_query {
    id          = "rate"
    expression  = "IF(errors > 0, 100 * errors / total, 0)"
    label       = "5xx percent (load balancer)"
    return_data = true
  }

  metric_query {
    id         = "errors"
    expression = "FILL(elb_5xx, 0)"
    label      = "5xx responses (load balancer)"
  }

  metric_query {
    id         = "total"
    expression = "MAX([FILL(requests, 0), errors])"
    label      = "Requests"
  }

  metric_query {
    id = "elb_5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "portal_p99_latency" {
  for_each            = var.target_group_arn_suffixes
  alarm_name          = "${var.name_prefix}-portal-${each.key}-p99-latency"
  alarm_description   = "p99 response time of portal's ${each.key} target group above ${var.max_p99_latency_seconds} s for ${var.evaluation_periods} minutes (the SLA is 1 s)."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix, TargetGroup = each.value }
  extended_statistic  = "p99"
  period              = 60
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_p99_latency_seconds
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.evaluation_periods
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

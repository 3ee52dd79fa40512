# Alarms on what a visitor sees, measured at the load balancer (both target groups, so they
# cover the old and the new version during a blue/green deployment). The portal service rolls
# a deployment back when one of them fires; they also page through alarm_actions.
#
# The 5xx rate counts both kinds of 5xx a visitor can get: those portal answers
# (HTTPCode_Target_5XX_Count) and those the load balancer answers itself
# (HTTPCode_ELB_5XX_Count: 502 when a task crashes or resets the connection, 503 with no
# healthy target, 504 on a timeout). A release whose tasks crash produces only the second kind.
# CloudWatch publishes a count only in minutes when it is not zero, so each is FILLed with 0:
# without it a minute with only one kind would have no sum at all, and would not count.

resource "aws_cloudwatch_metric_alarm" "portal_5xx_rate" {
  alarm_name          = "${var.name_prefix}-portal-5xx-rate"
  alarm_description   = "More than ${var.max_5xx_percent}% of portal responses are 5xx (from portal or from the load balancer) for ${var.evaluation_periods} minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_5xx_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.evaluation_periods
  # No traffic is not an error.
  treat_missing_data = "notBreaching"
  alarm_actions      = var.alarm_actions
  ok_actions         = var.alarm_actions

  # RequestCount leaves out requests the load balancer rejects before choosing a target (a 503
  # with no healthy target), so the denominator is at least the errors: a minute of nothing
  # but load balancer 5xx is 100 %, not a division by zero.
  metric_query {
    id          = "rate"
    expression  = "IF(errors > 0, 100 * errors / total, 0)"
    label       = "5xx percent (portal and load balancer)"
    return_data = true
  }

  metric_query {
    id         = "errors"
    expression = "FILL(target_5xx, 0) + FILL(elb_5xx, 0)"
    label      = "5xx responses (portal and load balancer)"
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
      dimensions  = { LoadBalancer = var.alb_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
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
  alarm_name          = "${var.name_prefix}-portal-p99-latency"
  alarm_description   = "portal p99 response time above ${var.max_p99_latency_seconds} s for ${var.evaluation_periods} minutes (the SLA is 1 s)."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
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

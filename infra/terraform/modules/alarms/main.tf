# Alarms on what a visitor sees, measured at the load balancer (both target groups, so they
# cover the old and the new version during a blue/green deployment). The portal service rolls
# a deployment back when one of them fires; they also page through alarm_actions.

resource "aws_cloudwatch_metric_alarm" "portal_5xx_rate" {
  alarm_name          = "${var.name_prefix}-portal-5xx-rate"
  alarm_description   = "More than ${var.max_5xx_percent}% of portal responses are 5xx (target errors) for ${var.evaluation_periods} minutes."
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_5xx_percent
  evaluation_periods  = var.evaluation_periods
  datapoints_to_alarm = var.evaluation_periods
  # No traffic is not an error.
  treat_missing_data = "notBreaching"
  alarm_actions      = var.alarm_actions
  ok_actions         = var.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx percent"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
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

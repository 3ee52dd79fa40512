output "portal_alarm_names" {
  description = "Alarms that roll a portal release back: 5xx rate (portal and load balancer 5xx), p99 latency."
  value = [
    aws_cloudwatch_metric_alarm.portal_5xx_rate.alarm_name,
    aws_cloudwatch_metric_alarm.portal_p99_latency.alarm_name,
  ]
}

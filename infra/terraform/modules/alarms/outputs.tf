output "portal_alarm_names" {
  description = "Alarms `deployer release` rolls a portal release back on: 5xx rate and p99 latency of each target group (only the group that carries production traffic counts), and the load balancer's own 5xx rate."
  value = concat(
    [for color in sort(keys(var.target_group_arn_suffixes)) : aws_cloudwatch_metric_alarm.portal_5xx_rate[color].alarm_name],
    [for color in sort(keys(var.target_group_arn_suffixes)) : aws_cloudwatch_metric_alarm.portal_p99_latency[color].alarm_name],
    [aws_cloudwatch_metric_alarm.load_balancer_5xx_rate.alarm_name],
  )
}

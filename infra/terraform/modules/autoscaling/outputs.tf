output "policy_names" {
  description = "Names of the scaling policies."
  value       = concat(aws_appautoscaling_policy.request_count[*].name, aws_appautoscaling_policy.backlog[*].name, aws_appautoscaling_policy.cpu[*].name)
}

output "policy_names" {
  description = "Names of the scaling policies."
  value       = concat([for p in aws_appautoscaling_policy.request_count : p.name], aws_appautoscaling_policy.cpu[*].name)
}

output "dns_name" {
  description = "Public DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "url" {
  description = "URL of the dashboard."
  value       = "${var.certificate_arn != null ? "https" : "http"}://${aws_lb.this.dns_name}"
}

output "arn_suffix" {
  description = "ARN suffix of the load balancer, the LoadBalancer dimension of its CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "prod_listener_arn" {
  description = "Production listener."
  value       = aws_lb_listener.production.arn
}

output "test_listener_arn" {
  description = "Blue/green test listener."
  value       = aws_lb_listener.test.arn
}

output "production_listener_rule_arn" {
  description = "Rule whose weights ECS shifts to move production traffic."
  value       = aws_lb_listener_rule.portal["production"].arn
}

output "test_listener_rule_arn" {
  description = "Rule that sends test traffic to the new version."
  value       = aws_lb_listener_rule.portal["test"].arn
}

output "blue_target_group_arn" {
  description = "Target group portal starts in."
  value       = aws_lb_target_group.portal["blue"].arn
}

output "green_target_group_arn" {
  description = "Alternate target group for blue/green deployments."
  value       = aws_lb_target_group.portal["green"].arn
}

output "blue_target_group_arn_suffix" {
  description = "ARN suffix of the blue target group (the TargetGroup dimension and part of the scaling resource label)."
  value       = aws_lb_target_group.portal["blue"].arn_suffix
}

output "green_target_group_arn_suffix" {
  description = "ARN suffix of the green target group."
  value       = aws_lb_target_group.portal["green"].arn_suffix
}

output "idle_timeout_seconds" {
  description = "Idle timeout of the load balancer (the services' keep-alive timeout is set above it)."
  value       = aws_lb.this.idle_timeout
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "blue_green_role_arn" {
  description = "Role ECS uses to shift traffic during blue/green deployments."
  value       = aws_iam_role.blue_green.arn
}

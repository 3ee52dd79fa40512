output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "url" {
  description = "URL of hardware inside the Service Connect namespace (portal's HARDWARE_URL)."
  value       = "http://${var.dns_name}:${var.container_port}"
}

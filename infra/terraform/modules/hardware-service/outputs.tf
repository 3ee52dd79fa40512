output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

locals {
  # The one client alias of the one Service Connect service hardware publishes.
  client_alias = one(one(one(aws_ecs_service.this.service_connect_configuration).service).client_alias)
}

output "url" {
  description = "URL of hardware inside the Service Connect namespace (portal's HARDWARE_URL)."
  # Read back from the service, not built from variables: portal's task definition takes this
  # URL, so portal's service is created only after hardware's Service Connect endpoint exists.
  # Service Connect names resolve only in tasks started after the endpoint was published.
  value = "http://${local.client_alias.dns_name}:${local.client_alias.port}"
}

# Contract with infra/deployer (it reads `terraform output -json`): keep these names.

output "aws_region" {
  description = "Region of the stack."
  value       = var.aws_region
}

output "cluster_name" {
  description = "ECS cluster of every service."
  value       = module.cluster.cluster_name
}

output "portal_service_name" {
  description = "ECS service of portal (container `portal`, port 8080)."
  value       = module.portal_service.service_name
}

output "hardware_service_name" {
  description = "ECS service of hardware (container `hardware`, port 8080)."
  value       = module.hardware_service.service_name
}

output "portal_ecr_repository_url" {
  description = "ECR repository of the portal image."
  value       = module.ecr.repository_urls["portal"]
}

output "hardware_ecr_repository_url" {
  description = "ECR repository of the hardware image."
  value       = module.ecr.repository_urls["hardware"]
}

output "alb_dns_name" {
  description = "Public DNS name of the load balancer."
  value       = module.alb.dns_name
}

output "portal_url" {
  description = "URL of the dashboard."
  value       = module.alb.url
}

output "prod_listener_arn" {
  description = "Production listener of the load balancer."
  value       = module.alb.prod_listener_arn
}

output "test_listener_arn" {
  description = "Blue/green test listener (port 8443)."
  value       = module.alb.test_listener_arn
}

output "portal_blue_target_group_arn" {
  description = "Blue target group of portal."
  value       = module.alb.blue_target_group_arn
}

output "portal_green_target_group_arn" {
  description = "Green (alternate) target group of portal."
  value       = module.alb.green_target_group_arn
}

output "portal_log_group_name" {
  description = "CloudWatch log group of portal."
  value       = module.portal_task.log_group_name
}

output "hardware_log_group_name" {
  description = "CloudWatch log group of hardware."
  value       = module.hardware_task.log_group_name
}

output "database_secret_arn" {
  description = "Secrets Manager secret with hardware's DATABASE_URL."
  value       = module.database.secret_arn
}

output "portal_alarm_names" {
  description = "Alarms `deployer release` rolls a portal release back on (per target group; only the production group counts) and the load balancer 5xx alarm."
  value       = module.alarms.portal_alarm_names
}

output "hardware_url" {
  description = "Private URL of hardware inside the cluster (portal's HARDWARE_URL)."
  value       = module.hardware_service.url
}

output "metrics_service_name" {
  description = "ECS service of metrics (container `metrics`, HTTP 8080, UDP 8125); Terraform itself rolls out its new images."
  value       = module.metrics_service.service_name
}

output "metrics_ecr_repository_url" {
  description = "ECR repository of the metrics image."
  value       = module.ecr.repository_urls["metrics"]
}

output "metrics_log_group_name" {
  description = "CloudWatch log group of metrics."
  value       = module.metrics_task.log_group_name
}

output "metrics_url" {
  description = "Private URL of the metrics query API inside the cluster (from portal and hardware only)."
  value       = module.metrics_service.url
}

output "metrics_ingest_addresses" {
  description = "Fixed private UDP addresses of the metrics ingest load balancer (portal's and hardware's METRICS_UDP)."
  value       = module.metrics_service.ingest_addresses
}

output "metrics_database_secret_arn" {
  description = "Secrets Manager secret with metrics' METRICS_DATABASE."
  value       = module.metrics_database.secret_arn
}

output "alb_security_group_id" {
  description = "Security group of the public load balancer."
  value       = aws_security_group.this["alb"].id
}

output "portal_security_group_id" {
  description = "Security group of portal tasks."
  value       = aws_security_group.this["portal"].id
}

output "hardware_security_group_id" {
  description = "Security group of hardware tasks."
  value       = aws_security_group.this["hardware"].id
}

output "database_security_group_id" {
  description = "Security group of the PostgreSQL instance."
  value       = aws_security_group.this["database"].id
}

output "endpoints_security_group_id" {
  description = "Security group of the VPC interface endpoints."
  value       = aws_security_group.this["endpoints"].id
}

output "metrics_ingest_security_group_id" {
  description = "Security group of the internal load balancer in front of metrics' UDP ingest."
  value       = aws_security_group.this["metrics_ingest"].id
}

output "metrics_security_group_id" {
  description = "Security group of metrics tasks."
  value       = aws_security_group.this["metrics"].id
}

output "metrics_database_security_group_id" {
  description = "Security group of metrics' PostgreSQL instance."
  value       = aws_security_group.this["metrics_database"].id
}

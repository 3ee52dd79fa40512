output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "ingest_addresses" {
  description = "UDP collector addresses (IP:PORT, one per zone) for the senders' METRICS_UDP, in failover order."
  value       = [for address in local.ingest_addresses : "${address}:${var.udp_port}"]
  # The addresses are known from the subnets alone; senders' task definitions wait for the
  # listener anyway, so their first datagrams find the load balancer there.
  depends_on = [aws_lb_listener.udp]
}

locals {
  client_alias = one(one(one(aws_ecs_service.this.service_connect_configuration).service).client_alias)
}

output "url" {
  description = "URL of the metrics query API inside the Service Connect namespace."
  value       = "http://${local.client_alias.dns_name}:${local.client_alias.port}"
}

output "ingest_load_balancer_arn_suffix" {
  description = "ARN suffix of the ingest load balancer (CloudWatch dimension)."
  value       = aws_lb.ingest.arn_suffix
}

output "ingest_target_group_arn_suffix" {
  description = "ARN suffix of the ingest target group (CloudWatch dimension)."
  value       = aws_lb_target_group.udp.arn_suffix
}

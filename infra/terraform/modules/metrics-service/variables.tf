variable "name_prefix" {
  description = "Stack name; prefixes the load balancer and its target group."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the service runs in."
  type        = string
}

variable "task_definition_arn" {
  description = "Task definition of the service; Terraform rolls out a new revision itself."
  type        = string
}

variable "desired_count" {
  description = "Collector tasks (2 = one per zone); they merge into one PostgreSQL database."
  type        = number
  default     = 2
}

variable "vpc_id" {
  description = "VPC of the load balancer's target group."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the tasks and the internal load balancer."
  type        = list(string)
}

variable "private_subnet_cidrs" {
  description = "IPv4 ranges of private_subnet_ids, in the same order; the load balancer's fixed addresses are taken from them."
  type        = list(string)
}

variable "ingest_host_number" {
  description = "Host number of the load balancer's fixed address in each private subnet (negative counts from the end, as in cidrhost)."
  type        = number
  default     = -6
}

variable "security_group_id" {
  description = "Security group of metrics tasks."
  type        = string
}

variable "ingest_security_group_id" {
  description = "Security group of the ingest load balancer (UDP from portal and hardware only)."
  type        = string
}

variable "container_port" {
  description = "HTTP port of metrics in its container (query API, /healthz), also its private name's port."
  type        = number
  default     = 8080
}

variable "udp_port" {
  description = "UDP port of the ingest, on the load balancer and in the container."
  type        = number
  default     = 8125
}

variable "deregistration_delay_seconds" {
  description = "Seconds a stopping task keeps receiving its flows before they move to another task."
  type        = number
  default     = 30
}

variable "service_connect_namespace_arn" {
  description = "Service Connect namespace metrics' query API is published in."
  type        = string
}

variable "dns_name" {
  description = "Private name of the query API (http://<dns_name>:<container_port>)."
  type        = string
}

variable "proxy_idle_timeout_seconds" {
  description = "Idle timeout of the Service Connect proxies' connections to metrics; metrics' HTTP_IDLE_TIMEOUT must be longer."
  type        = number
  default     = 60
}

variable "deletion_protection" {
  description = "Protect the ingest load balancer from deletion."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

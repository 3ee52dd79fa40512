variable "cluster_arn" {
  description = "ECS cluster the service runs in."
  type        = string
}

variable "task_definition_arn" {
  description = "Task definition the service is created with; later releases replace it."
  type        = string
}

variable "desired_count" {
  description = "Tasks at creation; autoscaling owns the count afterwards."
  type        = number
  default     = 2
}

variable "private_subnet_ids" {
  description = "Private subnets for the tasks."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of hardware tasks (ingress from portal only)."
  type        = string
}

variable "container_port" {
  description = "Port hardware listens on in its container, and the port of its private name."
  type        = number
  default     = 8080
}

variable "service_connect_namespace_arn" {
  description = "Service Connect namespace hardware is published in."
  type        = string
}

variable "dns_name" {
  description = "Private name portal uses to reach hardware (HARDWARE_URL is http://<dns_name>:<container_port>)."
  type        = string
}

variable "proxy_idle_timeout_seconds" {
  description = "Idle timeout of the Service Connect proxies' connections to hardware (their HTTP default is 300 s); hardware's HTTP_IDLE_TIMEOUT must be longer."
  type        = number
  default     = 60
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

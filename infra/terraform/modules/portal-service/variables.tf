variable "name_prefix" {
  description = "Stack name; prefixes the IAM role."
  type        = string
}

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
  description = "Security group of portal tasks (ingress from the load balancer only)."
  type        = string
}

variable "container_port" {
  description = "Port portal listens on in its container."
  type        = number
  default     = 8080
}

variable "blue_target_group_arn" {
  description = "Target group the service starts in."
  type        = string
}

variable "green_target_group_arn" {
  description = "Alternate target group for blue/green deployments."
  type        = string
}

variable "production_listener_rule_arn" {
  description = "Listener rule that ECS shifts production traffic with."
  type        = string
}

variable "test_listener_rule_arn" {
  description = "Listener rule that sends test traffic to the new version."
  type        = string
}

variable "bake_time_minutes" {
  description = "Minutes the new version serves all production traffic, with the old one kept ready for an instant rollback, before the old one is stopped."
  type        = number
  default     = 10

  validation {
    condition     = var.bake_time_minutes >= 0 && var.bake_time_minutes <= 1440
    error_message = "bake_time_minutes must be between 0 and 1440."
  }
}

variable "service_connect_namespace_arn" {
  description = "Service Connect namespace in which portal finds hardware."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

variable "iam_propagation_seconds" {
  description = "Seconds to wait after creating the blue/green infrastructure role before the service uses it (IAM is eventually consistent)."
  type        = number
  default     = 20
}

variable "smoke_gate_timeout_minutes" {
  description = "Minutes a portal release waits at POST_TEST_TRAFFIC_SHIFT for the deployer's smoke-check verdict before ECS rolls it back."
  type        = number
  default     = 30

  validation {
    condition     = var.smoke_gate_timeout_minutes >= 5 && var.smoke_gate_timeout_minutes <= 1440
    error_message = "smoke_gate_timeout_minutes must be 5 to 1440 (ECS's maximum, 24 hours)."
  }
}

variable "name" {
  description = "Name of the load balancer; prefixes the target groups (keep it under 20 characters)."
  type        = string

  validation {
    condition     = length(var.name) <= 20
    error_message = "name must be at most 20 characters: target group names are limited to 32."
  }
}

variable "vpc_id" {
  description = "VPC of the target groups."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets (at least two zones) the load balancer lives in."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the load balancer."
  type        = string
}

variable "container_port" {
  description = "Port portal listens on inside its container."
  type        = number
  default     = 8080
}

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on 443 (port 80 then redirects); null serves HTTP on 80 only."
  type        = string
  default     = null
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "test_listener_port" {
  description = "Port of the blue/green test listener."
  type        = number
  default     = 8443
}

variable "deregistration_delay_seconds" {
  description = "Seconds a stopping task keeps serving in-flight requests before it is removed; portal answers in milliseconds, so this is short."
  type        = number
  default     = 15
}

variable "deletion_protection" {
  description = "Refuse to delete the load balancer (turn off before terraform destroy)."
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

variable "idle_timeout_seconds" {
  description = "Idle timeout of the load balancer's connections (AWS default 60). The targets' keep-alive timeout must be longer."
  type        = number
  default     = 60

  validation {
    condition     = var.idle_timeout_seconds >= 1 && var.idle_timeout_seconds <= 4000
    error_message = "idle_timeout_seconds must be between 1 and 4000."
  }
}

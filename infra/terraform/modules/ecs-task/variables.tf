variable "name_prefix" {
  description = "Stack name; prefixes the task family, roles and log group."
  type        = string
}

variable "container_name" {
  description = "Name of the container (portal, hardware or metrics); also the binary name inside the image."
  type        = string

  validation {
    condition     = contains(["portal", "hardware", "metrics"], var.container_name)
    error_message = "container_name must be portal, hardware or metrics: the deployer and the health check rely on these names."
  }
}

variable "image" {
  description = "Image reference, <ecr repository url>:<git commit>."
  type        = string
}

variable "container_port" {
  description = "Port the service listens on (its *_BIND is 0.0.0.0:<port>)."
  type        = number
  default     = 8080
}

variable "cpu" {
  description = "Fargate CPU units for the task (256 = 0.25 vCPU)."
  type        = number
  default     = 256
}

variable "memory" {
  description = "Fargate memory for the task, in MiB; must fit the CPU size."
  type        = number
  default     = 512
}

variable "udp_ports" {
  description = "Container ports that receive UDP besides the HTTP port (metrics' 8125 ingest), each mapped as udp-<port>; Service Connect proxies TCP only, so these are reached through a load balancer."
  type        = list(number)
  default     = []
}

variable "health_check" {
  description = "Run the binary's own `healthcheck` mode as the container health check. Off for a binary without that mode (metrics); its load balancer's health check takes the role."
  type        = bool
  default     = true
}

variable "nofile_limit" {
  description = "Open-descriptor limit (soft and hard) of the container. Every client connection holds one; the listener's connection cap is this minus 128. Set explicitly because Fargate's default has changed over time (older ECS references give 1024 soft / 4096 hard, current ones 65535)."
  type        = number
  default     = 65536

  validation {
    condition     = var.nofile_limit >= 4096 && var.nofile_limit <= 1048576
    error_message = "nofile_limit must be between 4096 and 1048576."
  }
}

variable "environment" {
  description = "Plain environment variables of the container."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables filled from Secrets Manager: name => secret ARN. The execution role may read exactly these."
  type        = map(string)
  default     = {}
}

variable "stop_timeout_seconds" {
  description = "Seconds between SIGTERM and SIGKILL when a task stops (at most 120 on Fargate)."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout_seconds >= 2 && var.stop_timeout_seconds <= 120
    error_message = "stop_timeout_seconds must be between 2 and 120."
  }
}

variable "kms_key_arn" {
  description = "KMS key of the log group and the secrets."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep the container's logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

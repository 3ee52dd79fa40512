variable "name_prefix" {
  description = "Stack name; prefixes the task family, roles and log group."
  type        = string
}

variable "container_name" {
  description = "Name of the container (portal or hardware); also the binary name inside the image."
  type        = string

  validation {
    condition     = contains(["portal", "hardware"], var.container_name)
    error_message = "container_name must be portal or hardware: the deployer and the health check rely on these names."
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

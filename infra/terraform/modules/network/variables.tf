variable "name" {
  description = "Name prefix for the VPC and everything in it."
  type        = string
}

variable "cidr_block" {
  description = "IPv4 range of the VPC; split into /20 subnets (public first, private from the ninth)."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.cidr_block, 0)) && tonumber(split("/", var.cidr_block)[1]) <= 16
    error_message = "cidr_block must be a valid IPv4 CIDR of /16 or larger."
  }
}

variable "az_count" {
  description = "Number of availability zones to spread subnets over (2 gives redundancy at the lowest cost)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be between 2 and 4: one zone is no redundancy."
  }
}

variable "single_nat_gateway" {
  description = "One shared NAT gateway (cheaper) instead of one per zone (survives the loss of a zone)."
  type        = bool
  default     = true
}

variable "enable_interface_endpoints" {
  description = "Create interface endpoints for ECR, CloudWatch Logs and Secrets Manager, so that image pulls, logs and secrets stay off NAT (costs about $58 a month in 2 zones)."
  type        = bool
  default     = false
}

variable "endpoint_security_group_id" {
  description = "Security group of the interface endpoints (HTTPS from the tasks only)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the flow log group."
  type        = string
}

variable "log_retention_days" {
  description = "Days to keep VPC flow logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

variable "name_prefix" {
  description = "Stack name; prefixes the instance, its groups and the secret."
  type        = string
}

variable "client_name" {
  description = "The one service that uses this database (hardware or metrics): names its URL secret."
  type        = string
  default     = "hardware"

  validation {
    condition     = contains(["hardware", "metrics"], var.client_name)
    error_message = "client_name must be hardware or metrics."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets (two zones) for the database."
  type        = list(string)
}

variable "security_group_id" {
  description = "Security group of the database (ingress from its client service only)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key for storage, Performance Insights and the secret."
  type        = string
}

variable "engine_major_version" {
  description = "PostgreSQL major version."
  type        = string
  default     = "17"
}

variable "instance_class" {
  description = "Instance size; the catalog (100,000 rows) fits a small instance."
  type        = string
  default     = "db.t4g.micro"
}

variable "database_name" {
  description = "Database the client service uses."
  type        = string
  default     = "hwdash"
}

variable "master_username" {
  description = "Master user name (the client service connects as this user)."
  type        = string
  default     = "hwdash"
}

variable "port" {
  description = "PostgreSQL port. Change it together with password_version: the client's URL secret is rewritten only with a new password (or a new instance)."
  type        = number
  default     = 5432
}

variable "password_version" {
  description = "Increase by one to generate a new password and rewrite the database and the DATABASE_URL secret."
  type        = number
  default     = 1
}

variable "allocated_storage_gib" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20
}

variable "max_allocated_storage_gib" {
  description = "Storage autoscaling ceiling in GiB."
  type        = number
  default     = 100
}

variable "multi_az" {
  description = "Standby in a second zone (doubles the instance cost; recommended for production)."
  type        = bool
  default     = false
}

variable "backup_retention_days" {
  description = "Days of automated backups (point-in-time recovery window)."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Refuse to delete the instance (turn off before terraform destroy)."
  type        = bool
  default     = true
}

variable "require_tls" {
  description = "Force TLS for every connection (rds.force_ssl); needs a TLS-capable PostgreSQL client in the client service."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

variable "log_retention_days" {
  description = "Days the exported PostgreSQL logs are kept in CloudWatch Logs."
  type        = number
  default     = 30
}

variable "aws_region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Name of the stack; every account-wide name derives from it (load balancer, cluster, Service Connect namespace <name>.internal, repositories, database), so stacks such as staging and production coexist in one account and region."
  type        = string
  default     = "hwdash"

  validation {
    # The longest name derived from it is the green target group, "<name>-portal-green", and a
    # target group name has at most 32 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}$", var.name))
    error_message = "name must be 2-19 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "portal_image_tag" {
  description = "Tag (the git commit) of the portal image in its ECR repository; scripts/deploy.sh sets it."
  type        = string

  validation {
    condition     = var.portal_image_tag != "latest" && can(regex("^[A-Za-z0-9_.-]{1,128}$", var.portal_image_tag))
    error_message = "portal_image_tag must be a real tag (a git commit), never latest."
  }
}

variable "hardware_image_tag" {
  description = "Tag (the git commit) of the hardware image in its ECR repository; scripts/deploy.sh sets it."
  type        = string

  validation {
    condition     = var.hardware_image_tag != "latest" && can(regex("^[A-Za-z0-9_.-]{1,128}$", var.hardware_image_tag))
    error_message = "hardware_image_tag must be a real tag (a git commit), never latest."
  }
}

variable "metrics_image_tag" {
  description = "Tag (the git commit) of the metrics image in its ECR repository; scripts/deploy.sh sets it."
  type        = string

  validation {
    condition     = var.metrics_image_tag != "latest" && can(regex("^[A-Za-z0-9_.-]{1,128}$", var.metrics_image_tag))
    error_message = "metrics_image_tag must be a real tag (a git commit), never latest."
  }
}

# --- network ---------------------------------------------------------------------------------

variable "vpc_cidr" {
  description = "IPv4 range of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "single_nat_gateway" {
  description = "One NAT gateway for both zones (cheaper) instead of one per zone (survives a zone outage)."
  type        = bool
  default     = true
}

variable "enable_interface_endpoints" {
  description = "VPC interface endpoints for ECR, CloudWatch Logs and Secrets Manager (keeps that traffic off NAT). About $58 a month for 4 endpoints in 2 zones: worth it once NAT data charges exceed that."
  type        = bool
  default     = false
}

# --- load balancer ---------------------------------------------------------------------------

variable "certificate_arn" {
  description = "ACM certificate for HTTPS on 443 (then port 80 redirects); null serves HTTP on 80."
  type        = string
  default     = null
}

variable "test_listener_cidrs" {
  description = "IPv4 ranges that may reach the blue/green test listener (port 8443); empty keeps it closed."
  type        = list(string)
  default     = []
}

variable "deletion_protection" {
  description = "Protect the load balancer and the database from deletion (turn off before terraform destroy)."
  type        = bool
  default     = true
}

# --- portal ----------------------------------------------------------------------------------

variable "portal_cpu" {
  description = "Fargate CPU units of a portal task (256 = 0.25 vCPU)."
  type        = number
  default     = 512
}

variable "portal_memory" {
  description = "Memory of a portal task in MiB."
  type        = number
  default     = 1024
}

variable "portal_min_tasks" {
  description = "Fewest portal tasks (2 = one per zone)."
  type        = number
  default     = 2
}

variable "portal_max_tasks" {
  description = "Most portal tasks."
  type        = number
  default     = 20
}

variable "portal_requests_per_task_per_minute" {
  description = "ALBRequestCountPerTarget target: requests per portal task per minute to hold. Derive it from one task's measured capacity at the SLA (docs/deploy.md)."
  type        = number
  default     = 60000
}

variable "portal_bake_time_minutes" {
  description = "Minutes a new portal version serves all traffic, with the old one ready for an instant rollback, before the old one is stopped."
  type        = number
  default     = 10
}

variable "portal_max_5xx_percent" {
  description = "5xx rate (percent) that rolls a portal release back."
  type        = number
  default     = 1
}

variable "portal_max_p99_latency_seconds" {
  description = "p99 latency (seconds) that rolls a portal release back; the SLA is 1 s."
  type        = number
  default     = 0.5
}

variable "alarm_actions" {
  description = "ARNs (e.g. SNS topics) notified when an alarm changes state."
  type        = list(string)
  default     = []
}

# --- hardware --------------------------------------------------------------------------------

variable "hardware_cpu" {
  description = "Fargate CPU units of a hardware task; the availability computation is CPU-bound."
  type        = number
  default     = 1024
}

variable "hardware_memory" {
  description = "Memory of a hardware task in MiB."
  type        = number
  default     = 2048
}

variable "hardware_min_tasks" {
  description = "Fewest hardware tasks (2 = one per zone)."
  type        = number
  default     = 2
}

variable "hardware_max_tasks" {
  description = "Most hardware tasks; each adds compute workers against the shared database."
  type        = number
  default     = 8
}

variable "hardware_compute_workers" {
  description = "Availability computations one hardware task runs at once (COMPUTE_WORKERS). Each is a 5 s blocking call, so this is not bounded by the task's vCPUs."
  type        = number
  default     = 4

  validation {
    condition     = var.hardware_compute_workers >= 1 && var.hardware_compute_workers <= 1024
    error_message = "hardware_compute_workers must be 1 to 1024."
  }
}

variable "hardware_refresh_interval_seconds" {
  description = "Seconds after which a computed availability is stale and recomputed (REFRESH_INTERVAL); with hardware_compute_workers it sets hardware's autoscaling target (due profiles per task = workers x interval / 5)."
  type        = number
  default     = 60

  validation {
    condition     = var.hardware_refresh_interval_seconds >= 10
    error_message = "hardware_refresh_interval_seconds must be at least 10 (one computation takes 5 s)."
  }
}

variable "hardware_environment" {
  description = "Extra environment of hardware tasks (e.g. COMPUTE_WORKERS, REFRESH_INTERVAL)."
  type        = map(string)
  default     = {}
}

variable "portal_environment" {
  description = "Extra environment of portal tasks (e.g. SYNC_INTERVAL, METRICS_UDP)."
  type        = map(string)
  default     = {}
}

# --- metrics ---------------------------------------------------------------------------------

variable "metrics_cpu" {
  description = "Fargate CPU units of a metrics task (its UDP receive threads default to the task's vCPUs)."
  type        = number
  default     = 512
}

variable "metrics_memory" {
  description = "Memory of a metrics task in MiB (its in-memory series are bounded by METRICS_MAX_SERIES)."
  type        = number
  default     = 1024
}

variable "metrics_tasks" {
  description = "metrics tasks (2 = one per zone); every one flushes into the same PostgreSQL database, where their aggregates merge."
  type        = number
  default     = 2

  validation {
    condition     = var.metrics_tasks >= 1
    error_message = "metrics_tasks must be at least 1."
  }
}

variable "metrics_environment" {
  description = "Extra environment of metrics tasks (e.g. METRICS_FLUSH_INTERVAL, METRICS_RETENTION_DAYS, METRICS_MAX_SERIES)."
  type        = map(string)
  default     = {}
}

variable "metrics_database_instance_class" {
  description = "RDS instance class of metrics' own PostgreSQL database."
  type        = string
  default     = "db.t4g.micro"
}

variable "metrics_database_password_version" {
  description = "Increase to rotate the password of metrics' database (rewrites it and metrics' METRICS_DATABASE secret)."
  type        = number
  default     = 1
}

# --- database --------------------------------------------------------------------------------

variable "database_instance_class" {
  description = "RDS instance class of the PostgreSQL database."
  type        = string
  default     = "db.t4g.micro"
}

variable "database_multi_az" {
  description = "Standby database in the second zone (recommended for production; doubles its cost)."
  type        = bool
  default     = false
}

variable "database_password_version" {
  description = "Increase to rotate the database password (rewrites the database and hardware's DATABASE_URL secret)."
  type        = number
  default     = 1
}

variable "database_require_tls" {
  description = "Force TLS on database connections; needs hardware's PostgreSQL client to speak TLS."
  type        = bool
  default     = false
}

variable "log_retention_days" {
  description = "Days to keep container and flow logs."
  type        = number
  default     = 365
}

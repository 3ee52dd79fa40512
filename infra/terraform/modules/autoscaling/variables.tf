variable "cluster_name" {
  description = "ECS cluster of the service."
  type        = string
}

variable "service_name" {
  description = "ECS service whose desired count is scaled."
  type        = string
}

variable "min_capacity" {
  description = "Fewest tasks; 2 keeps one task per availability zone."
  type        = number
  default     = 2
}

variable "max_capacity" {
  description = "Most tasks; bounds the cost of a traffic spike or an attack."
  type        = number
  default     = 10

  validation {
    condition     = var.max_capacity >= 1
    error_message = "max_capacity must be at least 1."
  }
}

variable "metric" {
  description = "What to track: ALBRequestCountPerTarget (RequestCountPerTarget summed over target_group_arn_suffixes: requests per task per minute), DueProfilesPerTask (the DueProfiles metric a service publishes, divided by its running tasks) or ECSServiceAverageCPUUtilization (percent)."
  type        = string

  validation {
    condition     = contains(["ALBRequestCountPerTarget", "DueProfilesPerTask", "ECSServiceAverageCPUUtilization"], var.metric)
    error_message = "metric must be ALBRequestCountPerTarget, DueProfilesPerTask or ECSServiceAverageCPUUtilization."
  }
}

variable "target_value" {
  description = "Value of the metric to hold: requests per task per minute, due profiles per task, or CPU percent."
  type        = number

  validation {
    condition     = var.target_value > 0
    error_message = "target_value must be positive."
  }
}

variable "backlog_metric_namespace" {
  description = "For DueProfilesPerTask: CloudWatch namespace the service writes DueProfiles to (dimension ServiceName = service_name)."
  type        = string
  default     = null
}

variable "load_balancer_arn_suffix" {
  description = "For ALBRequestCountPerTarget: ARN suffix of the load balancer (app/<name>/<id>), the LoadBalancer dimension."
  type        = string
  default     = null
}

variable "target_group_arn_suffixes" {
  description = "For ALBRequestCountPerTarget: every target group of the service (e.g. blue and green), key => ARN suffix (targetgroup/<name>/<id>). One policy tracks the sum of their RequestCountPerTarget; keys are metric math ids."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for id in keys(var.target_group_arn_suffixes) : can(regex("^[a-z][a-zA-Z0-9_]*$", id))])
    error_message = "target_group_arn_suffixes keys must be metric math ids: a lowercase letter, then letters, digits or underscores."
  }
}

variable "scale_out_cooldown_seconds" {
  description = "Seconds after a scale-out before the next one; short, so a surge is met quickly."
  type        = number
  default     = 60
}

variable "scale_in_cooldown_seconds" {
  description = "Seconds after a scale-in before the next one; long, so capacity is not dropped between bursts."
  type        = number
  default     = 300
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

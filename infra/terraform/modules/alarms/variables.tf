variable "name_prefix" {
  description = "Stack name; prefixes the alarm names."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the public load balancer (the LoadBalancer metric dimension)."
  type        = string
}

variable "target_group_arn_suffixes" {
  description = "portal's target groups by colour (blue, green) -> ARN suffix (the TargetGroup metric dimension)."
  type        = map(string)

  validation {
    condition     = length(var.target_group_arn_suffixes) == 2
    error_message = "Give both of portal's blue/green target groups."
  }
}

variable "max_5xx_percent" {
  description = "Percent of 5xx responses above which a release is bad."
  type        = number
  default     = 1
}

variable "max_p99_latency_seconds" {
  description = "p99 response time above which a release is bad; well under the 1 s SLA because portal renders from memory."
  type        = number
  default     = 0.5
}

variable "evaluation_periods" {
  description = "Consecutive one-minute periods over the threshold before the alarm fires."
  type        = number
  default     = 3
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm changes state (e.g. an SNS topic that pages)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name prefix of the stack; the key alias is alias/<name>."
  type        = string
}

variable "deletion_window_in_days" {
  description = "Days between scheduling the key's deletion and its removal (7 to 30)."
  type        = number
  default     = 30

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30
    error_message = "deletion_window_in_days must be between 7 and 30."
  }
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

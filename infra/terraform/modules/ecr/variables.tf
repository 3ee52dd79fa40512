variable "name_prefix" {
  description = "Stack name; repositories are <name_prefix>/<service>."
  type        = string
}

variable "repositories" {
  description = "Services that get a repository."
  type        = list(string)
  default     = ["portal", "hardware"]
}

variable "keep_images" {
  description = "Images kept per repository; older ones expire."
  type        = number
  default     = 30
}

variable "force_delete" {
  description = "Allow terraform destroy to delete repositories that still hold images."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the images."
  type        = string
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

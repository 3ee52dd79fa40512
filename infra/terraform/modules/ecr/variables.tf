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
  description = "Images kept per repository besides those a revision uses (release-*); older ones expire."
  type        = number
  default     = 30
}

variable "release_images_kept" {
  description = "Images tagged release-* (used by a task definition revision) kept per repository; must stay above scripts/deploy.sh --keep-revisions (20 by default), so none of them ever expires."
  type        = number
  default     = 200

  validation {
    condition     = var.release_images_kept >= 50
    error_message = "release_images_kept must be at least 50, well above deploy.sh's --keep-revisions."
  }
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

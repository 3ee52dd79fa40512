variable "name" {
  description = "Name of the ECS cluster."
  type        = string
}

variable "service_connect_namespace" {
  description = "Cloud Map namespace for Service Connect; services are reached as <name>.<namespace>. Default <name>.internal, so stacks in one account and region do not collide."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

variable "name" {
  description = "Name prefix for the security groups."
  type        = string
}

variable "vpc_id" {
  description = "VPC the security groups belong to."
  type        = string
}

variable "container_port" {
  description = "Port both services listen on inside their containers."
  type        = number
  default     = 8080
}

variable "metrics_udp_port" {
  description = "UDP port metrics receives response times on (StatsD's 8125)."
  type        = number
  default     = 8125
}

variable "database_port" {
  description = "PostgreSQL port."
  type        = number
  default     = 5432
}

variable "public_ingress_cidrs" {
  description = "IPv4 ranges allowed to reach the public load balancer (the whole internet by default)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "enable_https" {
  description = "Open port 443 on the load balancer (set when a certificate is configured)."
  type        = bool
  default     = false
}

variable "test_listener_port" {
  description = "Port of the blue/green test listener."
  type        = number
  default     = 8443
}

variable "test_listener_cidrs" {
  description = "IPv4 ranges allowed to reach the blue/green test listener; empty keeps it closed."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags added to every resource of this module."
  type        = map(string)
  default     = {}
}

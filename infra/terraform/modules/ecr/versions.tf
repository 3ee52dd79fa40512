# The root's constraints (../../versions.tf says why these versions), so this module also
# states what it needs when it is read, validated or reused on its own.
terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.66, < 7.0"
    }
  }
}

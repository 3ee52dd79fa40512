terraform {
  # Write-only arguments (the database password never enters the state) need 1.11.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.66.0 is the first version whose schema has everything used here: the PAUSE
      # lifecycle hook (lifecycle_hook.target_type, timeout_configuration) is absent up to
      # 6.64.0, the last version before it with published bindings (infra/schema, docs/deploy.md
      # "Upgrading the provider"). .terraform.lock.hcl pins exactly 6.66.0; 7.x may change the
      # blue/green arguments.
      version = ">= 6.66, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.7, < 4.0" # ephemeral random_password
    }
  }
}

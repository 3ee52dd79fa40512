terraform {
  # Write-only arguments (the database password never enters the state) need 1.11.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.4 brought ECS-native blue/green (deployment_configuration.strategy and
      # load_balancer.advanced_configuration); 7.x may change them.
      version = ">= 6.4, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.7, < 4.0" # ephemeral random_password
    }
  }
}

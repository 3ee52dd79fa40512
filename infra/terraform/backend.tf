# Remote state: an S3 bucket with versioning and encryption, locked with an S3 lock file
# (use_lockfile, Terraform >= 1.10; no DynamoDB table needed). The bucket is not created here
# (state cannot live in what it describes); docs/deploy.md shows the commands that create it.
#
# This is a partial configuration: the values come from a file or flags at init time, so
# each account/environment keeps its own:
#
#   terraform -chdir=infra/terraform init -backend-config=backend.hcl
#
# with backend.hcl (see backend.hcl.example):
#
#   bucket       = "<account-id>-hwdash-tfstate"
#   key          = "hwdash/production.tfstate"
#   region       = "us-east-1"
#   encrypt      = true
#   use_lockfile = true
#
# scripts/deploy.sh passes -backend-config=infra/terraform/backend.hcl (or the file named by
# --backend-config / TF_BACKEND_CONFIG) and stops with instructions when there is none.
terraform {
  backend "s3" {}
}

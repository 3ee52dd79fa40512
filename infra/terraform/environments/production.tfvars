# `scripts/deploy.sh --env production`: state under hwdash/production.tfstate.
name                = "hwdash"
deletion_protection = true
database_multi_az   = true

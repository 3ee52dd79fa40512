# `scripts/deploy.sh --env staging`: state under hwdash/staging.tfstate, every name (load
# balancer, cluster, Service Connect namespace, repositories, database) prefixed with
# hwdash-staging, so it lives beside production in one account and region.
name                = "hwdash-staging"
deletion_protection = false
single_nat_gateway  = true

portal_min_tasks   = 1
hardware_min_tasks = 1

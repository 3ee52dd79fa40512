# The hardware availability dashboard on AWS:
#
#   internet -> ALB (public subnets) -> portal (Fargate, private subnets, blue/green)
#                                          |  Service Connect: http://hardware.<name>.internal:8080
#                                          v
#                                       hardware (Fargate, private subnets) -> PostgreSQL (RDS)
#
# Each piece is a small module under modules/; this file only wires them together.
# scripts/deploy.sh runs it; the outputs are the contract with infra/deployer.

locals {
  container_port           = 8080
  backlog_metric_namespace = "${var.name}/hardware"
  # docs/capacity.md: keeping N profiles fresher than T seconds takes W = ceil(5 N / T)
  # workers. A task of w workers clears w * T / 5 profiles per interval, so holding the due
  # profiles per task at that figure gives N / (w T / 5) tasks, i.e. exactly W workers.
  hardware_due_profiles_per_task = var.hardware_compute_workers * var.hardware_refresh_interval_seconds / 5
}

module "kms" {
  source = "./modules/kms"
  name   = var.name
}

module "network" {
  source                     = "./modules/network"
  name                       = var.name
  cidr_block                 = var.vpc_cidr
  single_nat_gateway         = var.single_nat_gateway
  enable_interface_endpoints = var.enable_interface_endpoints
  endpoint_security_group_id = module.security_groups.endpoints_security_group_id
  kms_key_arn                = module.kms.key_arn
  log_retention_days         = var.log_retention_days
}

module "security_groups" {
  source              = "./modules/security-groups"
  name                = var.name
  vpc_id              = module.network.vpc_id
  container_port      = local.container_port
  enable_https        = var.certificate_arn != null
  test_listener_cidrs = var.test_listener_cidrs
}

module "ecr" {
  source       = "./modules/ecr"
  name_prefix  = var.name
  repositories = ["portal", "hardware"]
  kms_key_arn  = module.kms.key_arn
}

module "alb" {
  source              = "./modules/alb"
  name                = var.name
  vpc_id              = module.network.vpc_id
  public_subnet_ids   = module.network.public_subnet_ids
  security_group_id   = module.security_groups.alb_security_group_id
  container_port      = local.container_port
  certificate_arn     = var.certificate_arn
  deletion_protection = var.deletion_protection
}

module "cluster" {
  source = "./modules/ecs-cluster"
  name   = var.name
}

module "database" {
  source              = "./modules/database"
  name_prefix         = var.name
  private_subnet_ids  = module.network.private_subnet_ids
  security_group_id   = module.security_groups.database_security_group_id
  kms_key_arn         = module.kms.key_arn
  instance_class      = var.database_instance_class
  multi_az            = var.database_multi_az
  password_version    = var.database_password_version
  require_tls         = var.database_require_tls
  deletion_protection = var.deletion_protection
  log_retention_days  = var.log_retention_days
}

# --- hardware: private, reachable from portal only ---------------------------------------------

module "hardware_task" {
  source         = "./modules/ecs-task"
  name_prefix    = var.name
  container_name = "hardware"
  image          = "${module.ecr.repository_urls["hardware"]}:${var.hardware_image_tag}"
  container_port = local.container_port
  cpu            = var.hardware_cpu
  memory         = var.hardware_memory
  environment = merge({
    HARDWARE_BIND    = "0.0.0.0:${local.container_port}"
    LOG_FORMAT       = "json"
    COMPUTE_WORKERS  = tostring(var.hardware_compute_workers)
    REFRESH_INTERVAL = tostring(var.hardware_refresh_interval_seconds)
    # The refresher's backlog as embedded metric format lines: autoscaling tracks it.
    BACKLOG_METRIC_NAMESPACE = local.backlog_metric_namespace
  }, var.hardware_environment)
  # The connection string (with its password) comes from Secrets Manager, never from the
  # task definition.
  secrets            = { DATABASE_URL = module.database.secret_arn }
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
}

module "hardware_service" {
  source                        = "./modules/hardware-service"
  cluster_arn                   = module.cluster.cluster_arn
  task_definition_arn           = module.hardware_task.task_definition_arn
  desired_count                 = var.hardware_min_tasks
  private_subnet_ids            = module.network.private_subnet_ids
  security_group_id             = module.security_groups.hardware_security_group_id
  container_port                = local.container_port
  service_connect_namespace_arn = module.cluster.service_connect_namespace_arn
  dns_name                      = "hardware.${module.cluster.service_connect_namespace}"
}

module "hardware_autoscaling" {
  source                   = "./modules/autoscaling"
  cluster_name             = module.cluster.cluster_name
  service_name             = module.hardware_service.service_name
  min_capacity             = var.hardware_min_tasks
  max_capacity             = var.hardware_max_tasks
  metric                   = "DueProfilesPerTask"
  target_value             = local.hardware_due_profiles_per_task
  backlog_metric_namespace = local.backlog_metric_namespace
}

# --- portal: public through the ALB, blue/green ----------------------------------------------

module "alarms" {
  source         = "./modules/alarms"
  name_prefix    = var.name
  alb_arn_suffix = module.alb.arn_suffix
  target_group_arn_suffixes = {
    blue  = module.alb.blue_target_group_arn_suffix
    green = module.alb.green_target_group_arn_suffix
  }
  max_5xx_percent         = var.portal_max_5xx_percent
  max_p99_latency_seconds = var.portal_max_p99_latency_seconds
  alarm_actions           = var.alarm_actions
}

module "portal_task" {
  source         = "./modules/ecs-task"
  name_prefix    = var.name
  container_name = "portal"
  image          = "${module.ecr.repository_urls["portal"]}:${var.portal_image_tag}"
  container_port = local.container_port
  cpu            = var.portal_cpu
  memory         = var.portal_memory
  environment = merge({
    PORTAL_BIND            = "0.0.0.0:${local.container_port}"
    PORTAL_HEALTHCHECK_URL = "http://127.0.0.1:${local.container_port}/healthz"
    HARDWARE_URL           = module.hardware_service.url
    LOG_FORMAT             = "json"
  }, var.portal_environment)
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
}

module "portal_service" {
  source                        = "./modules/portal-service"
  name_prefix                   = var.name
  cluster_arn                   = module.cluster.cluster_arn
  task_definition_arn           = module.portal_task.task_definition_arn
  desired_count                 = var.portal_min_tasks
  private_subnet_ids            = module.network.private_subnet_ids
  security_group_id             = module.security_groups.portal_security_group_id
  container_port                = local.container_port
  blue_target_group_arn         = module.alb.blue_target_group_arn
  green_target_group_arn        = module.alb.green_target_group_arn
  production_listener_rule_arn  = module.alb.production_listener_rule_arn
  test_listener_rule_arn        = module.alb.test_listener_rule_arn
  bake_time_minutes             = var.portal_bake_time_minutes
  service_connect_namespace_arn = module.cluster.service_connect_namespace_arn
}

module "portal_autoscaling" {
  source       = "./modules/autoscaling"
  cluster_name = module.cluster.cluster_name
  service_name = module.portal_service.service_name
  min_capacity = var.portal_min_tasks
  max_capacity = var.portal_max_tasks
  metric       = "ALBRequestCountPerTarget"
  target_value = var.portal_requests_per_task_per_minute
  # Production traffic is in blue or green depending on the last release: one policy tracks
  # the sum of both groups' RequestCountPerTarget (see modules/autoscaling).
  load_balancer_arn_suffix = module.alb.arn_suffix
  target_group_arn_suffixes = {
    blue  = module.alb.blue_target_group_arn_suffix
    green = module.alb.green_target_group_arn_suffix
  }
}

# The hardware availability dashboard on AWS:
#
#   internet -> ALB (public subnets) -> portal (Fargate, private subnets, blue/green)
#                                          |  Service Connect: http://hardware.<name>.internal:8080
#                                          v
#                                       hardware (Fargate, private subnets) -> PostgreSQL (RDS)
#
#   portal, hardware --UDP 8125 (response times)--> internal NLB (fixed private addresses)
#                                                     -> metrics (Fargate) -> its own PostgreSQL
#   portal, hardware --Service Connect: http://metrics.<name>.internal:8080 (queries)--> metrics
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

  # Keep-alive: whatever sits in front of a service (the ALB before portal, the Service
  # Connect proxies before hardware and metrics) must close an idle connection before the
  # service does, or it reuses a connection the service just closed and answers 502 (ALB) or
  # 503 (proxy). So both front idle timeouts are set here, and every service's own
  # HTTP_IDLE_TIMEOUT is longer (infra/tests/test_keep_alive.py checks the relation).
  alb_idle_timeout_seconds   = 60 # the ALB's default, set explicitly
  proxy_idle_timeout_seconds = 60 # Service Connect's HTTP default is 300 s
  http_idle_timeout_seconds  = 75
  # Last in every task's environment, so an extra *_environment map cannot undo it.
  listener_environment = {
    HTTP_IDLE_TIMEOUT = tostring(local.http_idle_timeout_seconds)
  }

  metrics_udp_port = 8125
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
  metrics_udp_port    = local.metrics_udp_port
}

module "ecr" {
  source       = "./modules/ecr"
  name_prefix  = var.name
  repositories = ["portal", "hardware", "metrics"]
  kms_key_arn  = module.kms.key_arn
}

module "alb" {
  source               = "./modules/alb"
  name                 = var.name
  vpc_id               = module.network.vpc_id
  public_subnet_ids    = module.network.public_subnet_ids
  security_group_id    = module.security_groups.alb_security_group_id
  container_port       = local.container_port
  certificate_arn      = var.certificate_arn
  deletion_protection  = var.deletion_protection
  idle_timeout_seconds = local.alb_idle_timeout_seconds
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
    # Every request's response time, to the metrics collectors (fire-and-forget UDP).
    METRICS_UDP = join(",", module.metrics_service.ingest_addresses)
  }, var.hardware_environment, local.listener_environment)
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
  proxy_idle_timeout_seconds    = local.proxy_idle_timeout_seconds
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

# --- metrics: private, response times from portal and hardware ------------------------------

# Its own instance rather than a second database on hardware's: Terraform cannot create a
# database or a role inside a private RDS instance (no PostgreSQL provider reaches it, and
# nothing here runs SQL at deploy time), and the collector's write load (a flush every few
# seconds, events in the events issue) stays off the database the catalog is served from.
# The cost is one more small instance (docs/deploy.md).
module "metrics_database" {
  source              = "./modules/database"
  name_prefix         = "${var.name}-metrics"
  client_name         = "metrics"
  database_name       = "metrics"
  master_username     = "metrics"
  private_subnet_ids  = module.network.private_subnet_ids
  security_group_id   = module.security_groups.metrics_database_security_group_id
  kms_key_arn         = module.kms.key_arn
  instance_class      = var.metrics_database_instance_class
  multi_az            = var.database_multi_az
  password_version    = var.metrics_database_password_version
  require_tls         = var.database_require_tls
  deletion_protection = var.deletion_protection
  log_retention_days  = var.log_retention_days
}

module "metrics_task" {
  source         = "./modules/ecs-task"
  name_prefix    = var.name
  container_name = "metrics"
  image          = "${module.ecr.repository_urls["metrics"]}:${var.metrics_image_tag}"
  container_port = local.container_port
  udp_ports      = [local.metrics_udp_port]
  cpu            = var.metrics_cpu
  memory         = var.metrics_memory
  # The metrics binary has no healthcheck mode; the ingest target group's HTTP health check
  # on /healthz decides whether a task is healthy.
  health_check = false
  environment = merge({
    METRICS_BIND     = "0.0.0.0:${local.container_port}"
    METRICS_UDP_BIND = "0.0.0.0:${local.metrics_udp_port}"
    LOG_FORMAT       = "json"
  }, var.metrics_environment, local.listener_environment)
  secrets            = { METRICS_DATABASE = module.metrics_database.secret_arn }
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
}

module "metrics_service" {
  source                        = "./modules/metrics-service"
  name_prefix                   = var.name
  cluster_arn                   = module.cluster.cluster_arn
  task_definition_arn           = module.metrics_task.task_definition_arn
  desired_count                 = var.metrics_tasks
  vpc_id                        = module.network.vpc_id
  private_subnet_ids            = module.network.private_subnet_ids
  private_subnet_cidrs          = module.network.private_subnet_cidrs
  security_group_id             = module.security_groups.metrics_security_group_id
  ingest_security_group_id      = module.security_groups.metrics_ingest_security_group_id
  container_port                = local.container_port
  udp_port                      = local.metrics_udp_port
  service_connect_namespace_arn = module.cluster.service_connect_namespace_arn
  dns_name                      = "metrics.${module.cluster.service_connect_namespace}"
  proxy_idle_timeout_seconds    = local.proxy_idle_timeout_seconds
  deletion_protection           = var.deletion_protection
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
    # Every request's response time, to the metrics collectors (fire-and-forget UDP).
    METRICS_UDP = join(",", module.metrics_service.ingest_addresses)
  }, var.portal_environment, local.listener_environment)
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

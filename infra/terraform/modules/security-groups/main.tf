# Every security group of the stack and every rule between them, in one place, so the traffic
# policy can be read (and tested) at a glance:
#
#   internet --80/443--> alb --8080--> portal --8080--> hardware --5432--> database
#                                      portal, hardware --UDP 8125--> metrics_ingest (internal NLB)
#                                                       --UDP 8125--> metrics --5432--> metrics_database
#                                      portal, hardware --8080--> metrics (queries, Service Connect)
#                                      portal, hardware, metrics --443--> VPC endpoints / NAT (AWS APIs)
#
# Nothing else has ingress: hardware only from portal, the database only from hardware,
# metrics only from its load balancer (response times, its health checks) and from portal and
# hardware (queries), its database only from metrics.

locals {
  # Every security group of the stack, by name, with its description; nothing else differs.
  groups = {
    alb              = "Public load balancer: HTTP/HTTPS from the internet, forwards to portal only"
    portal           = "portal tasks: traffic from the load balancer only"
    hardware         = "hardware tasks: traffic from portal tasks only"
    database         = "PostgreSQL: connections from hardware tasks only"
    metrics_ingest   = "Internal load balancer of metrics ingest: UDP from portal and hardware tasks only"
    metrics          = "metrics tasks: ingest through its load balancer, queries from portal and hardware"
    metrics_database = "PostgreSQL of metrics: connections from metrics tasks only"
    endpoints        = "VPC interface endpoints: HTTPS from the tasks only"
  }
}

resource "aws_security_group" "this" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  for_each    = local.groups
  name_prefix = "${var.name}-${replace(each.key, "_", "-")}-"
  description = each.value
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-${replace(each.key, "_", "-")}" })
  lifecycle { create_before_destroy = true }
}

# --- load balancer ---------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:The public dashboard is served on port 80 (redirected to HTTPS when a certificate is configured).
  for_each          = toset(var.public_ingress_cidrs)
  security_group_id = aws_security_group.this["alb"].id
  description       = "HTTP from the internet"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = var.enable_https ? toset(var.public_ingress_cidrs) : toset([])
  security_group_id = aws_security_group.this["alb"].id
  description       = "HTTPS from the internet"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# The blue/green test listener serves the new version before it takes production traffic;
# only the listed ranges (an office, a CI runner) may reach it. Empty by default.
resource "aws_vpc_security_group_ingress_rule" "alb_test_listener" {
  for_each          = toset(var.test_listener_cidrs)
  security_group_id = aws_security_group.this["alb"].id
  description       = "Blue/green test listener from trusted ranges"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.test_listener_port
  to_port           = var.test_listener_port
}

# --- rules between the groups, and to AWS APIs ------------------------------------------------
#
# One rule a line, keyed by the name each had as a resource of its own (the moved blocks in
# moved.tf keep an applied stack's rules in place). `group` is the group the rule belongs to,
# `peer` the group on the other side, both keys of local.groups.

locals {
  ingress_between_groups = {
    portal_from_alb               = { group = "portal", peer = "alb", protocol = "tcp", port = var.container_port, description = "HTTP from the load balancer" }
    hardware_from_portal          = { group = "hardware", peer = "portal", protocol = "tcp", port = var.container_port, description = "JSON API from portal only" }
    metrics_ingest_from_portal    = { group = "metrics_ingest", peer = "portal", protocol = "udp", port = var.metrics_udp_port, description = "Response times from portal" }
    metrics_ingest_from_hardware  = { group = "metrics_ingest", peer = "hardware", protocol = "udp", port = var.metrics_udp_port, description = "Response times from hardware" }
    metrics_from_ingest           = { group = "metrics", peer = "metrics_ingest", protocol = "udp", port = var.metrics_udp_port, description = "Response times through the ingest load balancer" }
    metrics_health_checks         = { group = "metrics", peer = "metrics_ingest", protocol = "tcp", port = var.container_port, description = "Health checks from the ingest load balancer" }
    metrics_from_portal           = { group = "metrics", peer = "portal", protocol = "tcp", port = var.container_port, description = "Query API from portal" }
    metrics_from_hardware         = { group = "metrics", peer = "hardware", protocol = "tcp", port = var.container_port, description = "Query API from hardware" }
    metrics_database_from_metrics = { group = "metrics_database", peer = "metrics", protocol = "tcp", port = var.database_port, description = "PostgreSQL from metrics only" }
    database_from_hardware        = { group = "database", peer = "hardware", protocol = "tcp", port = var.database_port, description = "PostgreSQL from hardware only" }
    endpoints_from_portal         = { group = "endpoints", peer = "portal", protocol = "tcp", port = 443, description = "HTTPS from portal tasks" }
    endpoints_from_hardware       = { group = "endpoints", peer = "hardware", protocol = "tcp", port = 443, description = "HTTPS from hardware tasks" }
    endpoints_from_metrics        = { group = "endpoints", peer = "metrics", protocol = "tcp", port = 443, description = "HTTPS from metrics tasks" }
  }

  # portal and hardware send every request's response time (UDP, fire-and-forget) to the
  # metrics ingest load balancer, and may query metrics over HTTP through Service Connect.
  # The targets accept the ingest balancer's traffic by its security group: UDP target groups
  # keep the client's address (client IP preservation cannot be disabled for UDP), and a rule
  # that references the balancer's group still matches then (Elastic Load Balancing, "Update
  # the security groups for your Network Load Balancer").
  egress_between_groups = {
    alb_to_portal                = { group = "alb", peer = "portal", protocol = "tcp", port = var.container_port, description = "Forward to portal tasks" }
    portal_to_hardware           = { group = "portal", peer = "hardware", protocol = "tcp", port = var.container_port, description = "Sync the snapshot from hardware" }
    hardware_to_database         = { group = "hardware", peer = "database", protocol = "tcp", port = var.database_port, description = "PostgreSQL" }
    portal_to_metrics_ingest     = { group = "portal", peer = "metrics_ingest", protocol = "udp", port = var.metrics_udp_port, description = "Response times to the metrics ingest load balancer" }
    hardware_to_metrics_ingest   = { group = "hardware", peer = "metrics_ingest", protocol = "udp", port = var.metrics_udp_port, description = "Response times to the metrics ingest load balancer" }
    portal_to_metrics_api        = { group = "portal", peer = "metrics", protocol = "tcp", port = var.container_port, description = "Queries to the metrics API" }
    hardware_to_metrics_api      = { group = "hardware", peer = "metrics", protocol = "tcp", port = var.container_port, description = "Queries to the metrics API" }
    metrics_ingest_to_metrics    = { group = "metrics_ingest", peer = "metrics", protocol = "udp", port = var.metrics_udp_port, description = "Forward response times to metrics tasks" }
    metrics_ingest_health_checks = { group = "metrics_ingest", peer = "metrics", protocol = "tcp", port = var.container_port, description = "Health checks of metrics tasks (GET /healthz)" }
    metrics_to_database          = { group = "metrics", peer = "metrics_database", protocol = "tcp", port = var.database_port, description = "PostgreSQL of metrics" }
  }

  # HTTPS to AWS APIs: ECR, CloudWatch Logs, Secrets Manager and the ECS Service Connect agent.
  # They are reached through endpoints or NAT; their addresses are not fixed, hence 0.0.0.0/0.
  https_to_aws_apis = ["portal", "hardware", "metrics"]
}

resource "aws_vpc_security_group_ingress_rule" "between_groups" {
  for_each                     = local.ingress_between_groups
  security_group_id            = aws_security_group.this[each.value.group].id
  description                  = each.value.description
  referenced_security_group_id = aws_security_group.this[each.value.peer].id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "between_groups" {
  for_each                     = local.egress_between_groups
  security_group_id            = aws_security_group.this[each.value.group].id
  description                  = each.value.description
  referenced_security_group_id = aws_security_group.this[each.value.peer].id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.port
  to_port                      = each.value.port
}

resource "aws_vpc_security_group_egress_rule" "https_to_aws_apis" {
  for_each          = toset(local.https_to_aws_apis)
  security_group_id = aws_security_group.this[each.key].id
  description       = "HTTPS to AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

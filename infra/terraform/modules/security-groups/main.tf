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

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  name_prefix = "${var.name}-alb-"
  description = "Public load balancer: HTTP/HTTPS from the internet, forwards to portal only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-alb" })
  lifecycle { create_before_destroy = true }
}

resource "aws_security_group" "portal" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  name_prefix = "${var.name}-portal-"
  description = "portal tasks: traffic from the load balancer only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-portal" })
  lifecycle { create_before_destroy = true }
}

resource "aws_security_group" "hardware" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  name_prefix = "${var.name}-hardware-"
  description = "hardware tasks: traffic from portal tasks only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-hardware" })
  lifecycle { create_before_destroy = true }
}

resource "aws_security_group" "database" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  name_prefix = "${var.name}-database-"
  description = "PostgreSQL: connections from hardware tasks only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-database" })
  lifecycle { create_before_destroy = true }
}

resource "aws_security_group" "metrics_ingest" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  name_prefix = "${var.name}-metrics-ingest-"
  description = "Internal load balancer of metrics ingest: UDP from portal and hardware tasks only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-metrics-ingest" })
  lifecycle { create_before_destroy = true }
}

resource "aws_security_group" "metrics" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  name_prefix = "${var.name}-metrics-"
  description = "metrics tasks: ingest through its load balancer, queries from portal and hardware"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-metrics" })
  lifecycle { create_before_destroy = true }
}

resource "aws_security_group" "metrics_database" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  name_prefix = "${var.name}-metrics-database-"
  description = "PostgreSQL of metrics: connections from metrics tasks only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-metrics-database" })
  lifecycle { create_before_destroy = true }
}

resource "aws_security_group" "endpoints" {
  #checkov:skip=CKV2_AWS_5:Attached in other modules (ALB, ECS services, RDS, VPC endpoints), which checkov does not follow across module boundaries.
  name_prefix = "${var.name}-endpoints-"
  description = "VPC interface endpoints: HTTPS from the tasks only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-endpoints" })
  lifecycle { create_before_destroy = true }
}

# --- load balancer ---------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:The public dashboard is served on port 80 (redirected to HTTPS when a certificate is configured).
  for_each          = toset(var.public_ingress_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from the internet"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = var.enable_https ? toset(var.public_ingress_cidrs) : toset([])
  security_group_id = aws_security_group.alb.id
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
  security_group_id = aws_security_group.alb.id
  description       = "Blue/green test listener from trusted ranges"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.test_listener_port
  to_port           = var.test_listener_port
}

resource "aws_vpc_security_group_egress_rule" "alb_to_portal" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Forward to portal tasks"
  referenced_security_group_id = aws_security_group.portal.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

# --- portal ----------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "portal_from_alb" {
  security_group_id            = aws_security_group.portal.id
  description                  = "HTTP from the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_egress_rule" "portal_to_hardware" {
  security_group_id            = aws_security_group.portal.id
  description                  = "Sync the snapshot from hardware"
  referenced_security_group_id = aws_security_group.hardware.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

# HTTPS to AWS APIs: ECR, CloudWatch Logs, Secrets Manager and the ECS Service Connect agent.
# They are reached through endpoints or NAT; their addresses are not fixed, hence 0.0.0.0/0.
resource "aws_vpc_security_group_egress_rule" "portal_https" {
  security_group_id = aws_security_group.portal.id
  description       = "HTTPS to AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# --- hardware --------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "hardware_from_portal" {
  security_group_id            = aws_security_group.hardware.id
  description                  = "JSON API from portal only"
  referenced_security_group_id = aws_security_group.portal.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_egress_rule" "hardware_to_database" {
  security_group_id            = aws_security_group.hardware.id
  description                  = "PostgreSQL"
  referenced_security_group_id = aws_security_group.database.id
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
}

resource "aws_vpc_security_group_egress_rule" "hardware_https" {
  security_group_id = aws_security_group.hardware.id
  description       = "HTTPS to AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# portal and hardware send every request's response time (UDP, fire-and-forget) to the
# metrics ingest load balancer, and may query metrics over HTTP through Service Connect.
resource "aws_vpc_security_group_egress_rule" "to_metrics_ingest" {
  for_each = {
    portal   = aws_security_group.portal.id
    hardware = aws_security_group.hardware.id
  }
  security_group_id            = each.value
  description                  = "Response times to the metrics ingest load balancer"
  referenced_security_group_id = aws_security_group.metrics_ingest.id
  ip_protocol                  = "udp"
  from_port                    = var.metrics_udp_port
  to_port                      = var.metrics_udp_port
}

resource "aws_vpc_security_group_egress_rule" "to_metrics_api" {
  for_each = {
    portal   = aws_security_group.portal.id
    hardware = aws_security_group.hardware.id
  }
  security_group_id            = each.value
  description                  = "Queries to the metrics API"
  referenced_security_group_id = aws_security_group.metrics.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

# --- metrics ingest load balancer ----------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "metrics_ingest_from_portal" {
  security_group_id            = aws_security_group.metrics_ingest.id
  description                  = "Response times from portal"
  referenced_security_group_id = aws_security_group.portal.id
  ip_protocol                  = "udp"
  from_port                    = var.metrics_udp_port
  to_port                      = var.metrics_udp_port
}

resource "aws_vpc_security_group_ingress_rule" "metrics_ingest_from_hardware" {
  security_group_id            = aws_security_group.metrics_ingest.id
  description                  = "Response times from hardware"
  referenced_security_group_id = aws_security_group.hardware.id
  ip_protocol                  = "udp"
  from_port                    = var.metrics_udp_port
  to_port                      = var.metrics_udp_port
}

resource "aws_vpc_security_group_egress_rule" "metrics_ingest_to_metrics" {
  security_group_id            = aws_security_group.metrics_ingest.id
  description                  = "Forward response times to metrics tasks"
  referenced_security_group_id = aws_security_group.metrics.id
  ip_protocol                  = "udp"
  from_port                    = var.metrics_udp_port
  to_port                      = var.metrics_udp_port
}

resource "aws_vpc_security_group_egress_rule" "metrics_ingest_health_checks" {
  security_group_id            = aws_security_group.metrics_ingest.id
  description                  = "Health checks of metrics tasks (GET /healthz)"
  referenced_security_group_id = aws_security_group.metrics.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

# --- metrics -------------------------------------------------------------------------------------

# The targets accept the load balancer's traffic by its security group; UDP target groups keep
# the client's address (client IP preservation cannot be disabled for UDP), and a rule that
# references the load balancer's group still matches then (Elastic Load Balancing, "Update the
# security groups for your Network Load Balancer").
resource "aws_vpc_security_group_ingress_rule" "metrics_from_ingest" {
  security_group_id            = aws_security_group.metrics.id
  description                  = "Response times through the ingest load balancer"
  referenced_security_group_id = aws_security_group.metrics_ingest.id
  ip_protocol                  = "udp"
  from_port                    = var.metrics_udp_port
  to_port                      = var.metrics_udp_port
}

resource "aws_vpc_security_group_ingress_rule" "metrics_health_checks" {
  security_group_id            = aws_security_group.metrics.id
  description                  = "Health checks from the ingest load balancer"
  referenced_security_group_id = aws_security_group.metrics_ingest.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_ingress_rule" "metrics_from_portal" {
  security_group_id            = aws_security_group.metrics.id
  description                  = "Query API from portal"
  referenced_security_group_id = aws_security_group.portal.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_ingress_rule" "metrics_from_hardware" {
  security_group_id            = aws_security_group.metrics.id
  description                  = "Query API from hardware"
  referenced_security_group_id = aws_security_group.hardware.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_egress_rule" "metrics_to_database" {
  security_group_id            = aws_security_group.metrics.id
  description                  = "PostgreSQL of metrics"
  referenced_security_group_id = aws_security_group.metrics_database.id
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
}

resource "aws_vpc_security_group_egress_rule" "metrics_https" {
  security_group_id = aws_security_group.metrics.id
  description       = "HTTPS to AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "metrics_database_from_metrics" {
  security_group_id            = aws_security_group.metrics_database.id
  description                  = "PostgreSQL from metrics only"
  referenced_security_group_id = aws_security_group.metrics.id
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
}

# --- database --------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "database_from_hardware" {
  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from hardware only"
  referenced_security_group_id = aws_security_group.hardware.id
  ip_protocol                  = "tcp"
  from_port                    = var.database_port
  to_port                      = var.database_port
}

# --- VPC endpoints ---------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_portal" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from portal tasks"
  referenced_security_group_id = aws_security_group.portal.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_hardware" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from hardware tasks"
  referenced_security_group_id = aws_security_group.hardware.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_metrics" {
  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from metrics tasks"
  referenced_security_group_id = aws_security_group.metrics.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

# Every security group of the stack and every rule between them, in one place, so the traffic
# policy can be read (and tested) at a glance:
#
#   internet --80/443--> alb --8080--> portal --8080--> hardware --5432--> database
#                                      portal, hardware --443--> VPC endpoints / NAT (AWS APIs)
#
# Nothing else has ingress: hardware only from portal, the database only from hardware.

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

# Where each group and rule lived before they became instances of one for_each (main.tf): an
# applied stack keeps them instead of deleting and creating them again (which would replace
# every group and briefly drop traffic).

moved {
  from = aws_vpc_security_group_ingress_rule.portal_from_alb
  to   = aws_vpc_security_group_ingress_rule.between_groups["portal_from_alb"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.hardware_from_portal
  to   = aws_vpc_security_group_ingress_rule.between_groups["hardware_from_portal"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.metrics_ingest_from_portal
  to   = aws_vpc_security_group_ingress_rule.between_groups["metrics_ingest_from_portal"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.metrics_ingest_from_hardware
  to   = aws_vpc_security_group_ingress_rule.between_groups["metrics_ingest_from_hardware"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.metrics_from_ingest
  to   = aws_vpc_security_group_ingress_rule.between_groups["metrics_from_ingest"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.metrics_health_checks
  to   = aws_vpc_security_group_ingress_rule.between_groups["metrics_health_checks"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.metrics_from_portal
  to   = aws_vpc_security_group_ingress_rule.between_groups["metrics_from_portal"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.metrics_from_hardware
  to   = aws_vpc_security_group_ingress_rule.between_groups["metrics_from_hardware"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.metrics_database_from_metrics
  to   = aws_vpc_security_group_ingress_rule.between_groups["metrics_database_from_metrics"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.database_from_hardware
  to   = aws_vpc_security_group_ingress_rule.between_groups["database_from_hardware"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.endpoints_from_portal
  to   = aws_vpc_security_group_ingress_rule.between_groups["endpoints_from_portal"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.endpoints_from_hardware
  to   = aws_vpc_security_group_ingress_rule.between_groups["endpoints_from_hardware"]
}

moved {
  from = aws_vpc_security_group_ingress_rule.endpoints_from_metrics
  to   = aws_vpc_security_group_ingress_rule.between_groups["endpoints_from_metrics"]
}

moved {
  from = aws_vpc_security_group_egress_rule.alb_to_portal
  to   = aws_vpc_security_group_egress_rule.between_groups["alb_to_portal"]
}

moved {
  from = aws_vpc_security_group_egress_rule.portal_to_hardware
  to   = aws_vpc_security_group_egress_rule.between_groups["portal_to_hardware"]
}

moved {
  from = aws_vpc_security_group_egress_rule.hardware_to_database
  to   = aws_vpc_security_group_egress_rule.between_groups["hardware_to_database"]
}

moved {
  from = aws_vpc_security_group_egress_rule.metrics_ingest_to_metrics
  to   = aws_vpc_security_group_egress_rule.between_groups["metrics_ingest_to_metrics"]
}

moved {
  from = aws_vpc_security_group_egress_rule.metrics_ingest_health_checks
  to   = aws_vpc_security_group_egress_rule.between_groups["metrics_ingest_health_checks"]
}

moved {
  from = aws_vpc_security_group_egress_rule.metrics_to_database
  to   = aws_vpc_security_group_egress_rule.between_groups["metrics_to_database"]
}

moved {
  from = aws_vpc_security_group_egress_rule.to_metrics_ingest["portal"]
  to   = aws_vpc_security_group_egress_rule.between_groups["portal_to_metrics_ingest"]
}

moved {
  from = aws_vpc_security_group_egress_rule.to_metrics_api["portal"]
  to   = aws_vpc_security_group_egress_rule.between_groups["portal_to_metrics_api"]
}

moved {
  from = aws_vpc_security_group_egress_rule.to_metrics_ingest["hardware"]
  to   = aws_vpc_security_group_egress_rule.between_groups["hardware_to_metrics_ingest"]
}

moved {
  from = aws_vpc_security_group_egress_rule.to_metrics_api["hardware"]
  to   = aws_vpc_security_group_egress_rule.between_groups["hardware_to_metrics_api"]
}

moved {
  from = aws_vpc_security_group_egress_rule.portal_https
  to   = aws_vpc_security_group_egress_rule.https_to_aws_apis["portal"]
}

moved {
  from = aws_vpc_security_group_egress_rule.hardware_https
  to   = aws_vpc_security_group_egress_rule.https_to_aws_apis["hardware"]
}

moved {
  from = aws_vpc_security_group_egress_rule.metrics_https
  to   = aws_vpc_security_group_egress_rule.https_to_aws_apis["metrics"]
}

moved {
  from = aws_security_group.alb
  to   = aws_security_group.this["alb"]
}

moved {
  from = aws_security_group.portal
  to   = aws_security_group.this["portal"]
}

moved {
  from = aws_security_group.hardware
  to   = aws_security_group.this["hardware"]
}

moved {
  from = aws_security_group.database
  to   = aws_security_group.this["database"]
}

moved {
  from = aws_security_group.metrics_ingest
  to   = aws_security_group.this["metrics_ingest"]
}

moved {
  from = aws_security_group.metrics
  to   = aws_security_group.this["metrics"]
}

moved {
  from = aws_security_group.metrics_database
  to   = aws_security_group.this["metrics_database"]
}

moved {
  from = aws_security_group.endpoints
  to   = aws_security_group.this["endpoints"]
}

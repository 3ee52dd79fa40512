# A PostgreSQL instance for one service (its client_name): hardware's (the shared store of
# several hardware tasks) and metrics' (the shared store of several collectors) are two
# instances of this module, each in the private subnets, reachable only from its client's
# security group.
#
# The password is generated as an ephemeral value and written with write-only arguments to
# both the database and a Secrets Manager secret holding hardware's DATABASE_URL, so it is
# never stored in the Terraform state. Bump password_version to rotate it (both are rewritten
# in the same apply). A replaced instance (a change that forces a new one, a restore) gets a
# new password and a new endpoint in its create call, so the secret is rewritten then too.

ephemeral "random_password" "master" {
  length  = 40
  special = false # it goes into a URL unescaped
}

resource "aws_db_subnet_group" "this" {
  name_prefix = "${var.name_prefix}-"
  description = "Private subnets of ${var.name_prefix}"
  subnet_ids  = var.private_subnet_ids
  tags        = var.tags
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name_prefix}-pg${var.engine_major_version}-"
  family      = "postgres${var.engine_major_version}"
  description = "hwdash PostgreSQL settings"

  # Slow statements and schema changes go to the PostgreSQL log (exported to CloudWatch).
  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  # RDS forces TLS by default from PostgreSQL 15 on. hardware connects inside the VPC; keep
  # this on (true) once its PostgreSQL client speaks TLS (see docs/deploy.md).
  parameter {
    name  = "rds.force_ssl"
    value = var.require_tls ? "1" : "0"
  }

  tags = var.tags

  lifecycle { create_before_destroy = true }
}

data "aws_iam_policy_document" "monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

# Enhanced monitoring: per-process CPU and memory of the database host.
resource "aws_iam_role" "monitoring" {
  name_prefix        = "${var.name_prefix}-rds-mon-"
  assume_role_policy = data.aws_iam_policy_document.monitoring_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "monitoring" {
  role       = aws_iam_role.monitoring.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

locals {
  # A fixed identifier (not identifier_prefix): the log groups below must be named after it
  # before the instance exists.
  identifier = "${var.name_prefix}-postgres"
  log_types  = ["postgresql", "upgrade"]
}

# RDS creates /aws/rds/instance/<id>/<type> itself on the first export, with no retention and
# no KMS key. Created here first, with both, RDS writes into them instead.
resource "aws_cloudwatch_log_group" "exports" {
  for_each          = toset(local.log_types)
  name              = "/aws/rds/instance/${local.identifier}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_161:hardware authenticates with the password from Secrets Manager; IAM authentication stays off until hardware generates IAM tokens (docs/deploy.md).
  #checkov:skip=CKV_AWS_157:Single-AZ by default to keep a small deployment cheap; set multi_az = true for production (docs/deploy.md).
  identifier     = local.identifier
  engine         = "postgres"
  engine_version = var.engine_major_version
  instance_class = var.instance_class
  db_name        = var.database_name
  username       = var.master_username
  port           = var.port

  password_wo         = ephemeral.random_password.master.result
  password_wo_version = var.password_version

  allocated_storage     = var.allocated_storage_gib
  max_allocated_storage = var.max_allocated_storage_gib
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = var.kms_key_arn

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name

  backup_retention_period     = var.backup_retention_days
  copy_tags_to_snapshot       = true
  deletion_protection         = var.deletion_protection
  skip_final_snapshot         = false
  final_snapshot_identifier   = "${var.name_prefix}-final"
  auto_minor_version_upgrade  = true
  allow_major_version_upgrade = false
  apply_immediately           = false

  # hardware authenticates with the password in its Secrets Manager secret; IAM database
  # authentication would need a token generator in hardware and a per-task IAM policy, and
  # an unused enabled login path is only attack surface. Off until hardware uses it.
  iam_database_authentication_enabled   = false
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.monitoring.arn
  enabled_cloudwatch_logs_exports       = local.log_types

  tags       = var.tags
  depends_on = [aws_cloudwatch_log_group.exports]
}

resource "aws_secretsmanager_secret" "database_url" {
  #checkov:skip=CKV2_AWS_57:Rotation is by bumping password_version (rewrites the database and this secret together); a rotation Lambda is a production addition in docs/deploy.md.
  name_prefix             = "${var.name_prefix}/${var.client_name}/database-url-"
  description             = "Database URL of ${var.client_name} (postgres://...); read by ${var.client_name}'s task execution role only"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id                = aws_secretsmanager_secret.database_url.id
  secret_string_wo         = "postgres://${var.master_username}:${ephemeral.random_password.master.result}@${aws_db_instance.this.address}:${aws_db_instance.this.port}/${var.database_name}"
  secret_string_wo_version = var.password_version

  # The URL holds the instance's endpoint and the password it was created with; the password
  # changes exactly when the instance is replaced (its create call sets a new ephemeral
  # password), which is when resource_id changes. Then
  # this version is written again, in the same apply, with the same ephemeral password.
  # Not on every change of the instance: an in-place update keeps the old password, and a
  # rewrite would put a new one in the secret that the database does not have.
  lifecycle {
    replace_triggered_by = [aws_db_instance.this.resource_id]
  }
}

# A Fargate task definition for one service container, with its log group and two separate
# roles: the execution role (used by ECS to pull the image, write logs and read secrets) and
# the task role (what the application itself may call; empty, no service calls AWS).

data "aws_region" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/${var.name_prefix}/${var.container_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name_prefix        = "${var.name_prefix}-${var.container_name}-exec-"
  description        = "ECS pulls the ${var.container_name} image, writes its logs and reads its secrets"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "execution_managed" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  count = length(var.secrets) > 0 ? 1 : 0

  statement {
    sid       = "ReadOwnSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = values(var.secrets)
  }

  statement {
    sid       = "DecryptOwnSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  count  = length(var.secrets) > 0 ? 1 : 0
  name   = "read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets[0].json
}

resource "aws_iam_role" "task" {
  name_prefix        = "${var.name_prefix}-${var.container_name}-task-"
  description        = "Role of the ${var.container_name} application itself; it calls no AWS API, so it has no policy"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = var.tags
}

resource "aws_ecs_task_definition" "this" {
  family                   = "${var.name_prefix}-${var.container_name}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn
  # A new image makes Terraform replace this resource; without skip_destroy the replaced
  # revision is deregistered (INACTIVE) although the service, or a rollback to it, may still
  # need it: `deployer rollback` refuses an INACTIVE revision. Old revisions stay ACTIVE
  # (they cost nothing); deregister them by hand when no rollback needs them.
  skip_destroy = true

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64" # the images hold x86_64 static binaries
  }

  container_definitions = jsonencode([{
    name      = var.container_name
    image     = var.image
    essential = true
    # The image is `scratch` with a non-root user; nothing is written outside the database.
    user                   = "10001:10001"
    readonlyRootFilesystem = true
    portMappings = concat([{
      name          = "http" # Service Connect refers to the port by this name
      containerPort = var.container_port
      protocol      = "tcp"
      appProtocol   = "http"
      }], [for port in var.udp_ports : {
      name          = "udp-${port}"
      containerPort = port
      protocol      = "udp"
    }])
    # Each client connection holds a descriptor; the listener caps connections at this limit
    # minus 128 (service-kit), so the limit is the capacity for slow or idle clients.
    ulimits = [{
      name      = "nofile"
      softLimit = var.nofile_limit
      hardLimit = var.nofile_limit
    }]
    environment = [for k, v in var.environment : { name = k, value = v }]
    secrets     = [for k, v in var.secrets : { name = k, valueFrom = v }]
    # The image has no shell: the binary's own healthcheck mode asks /healthz on its bind.
    healthCheck = var.health_check ? {
      command     = ["CMD", "/usr/local/bin/${var.container_name}", "healthcheck"]
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 15
    } : null
    # Seconds between SIGTERM and SIGKILL: time to finish in-flight requests.
    stopTimeout = var.stop_timeout_seconds
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.this.name
        awslogs-region        = data.aws_region.current.region
        awslogs-stream-prefix = var.container_name
      }
    }
  }])

  tags = var.tags
}

# One customer-managed key for everything this stack encrypts at rest: CloudWatch log groups,
# ECR images, Secrets Manager secrets and the RDS storage. A single key keeps the key policy in
# one place; rotation is on.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy_document" "key" {
  # A key policy is attached to this one key: its "*" resource means "this key", not every
  # resource, and kms:* for the account root is the AWS default that delegates to IAM.
  #checkov:skip=CKV_AWS_111:Key policy; the resource is this key only.
  #checkov:skip=CKV_AWS_356:Key policy; the resource is this key only.
  #checkov:skip=CKV_AWS_109:Key policy; the account root administers its own key (AWS default).
  # The account root keeps full control, so IAM policies decide who may use the key.
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts log groups itself and must be named in the key policy.
  statement {
    sid = "CloudWatchLogsEncrypts"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name}: logs, images, secrets and database storage"
  enable_key_rotation     = true
  deletion_window_in_days = var.deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

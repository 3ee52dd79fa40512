# One repository per service. Tags are immutable: an image is named by its git commit and a
# tag never moves, so a rollback to a commit gets exactly what was tested.

resource "aws_ecr_repository" "this" {
  for_each             = toset(var.repositories)
  name                 = "${var.name_prefix}/${each.key}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = var.kms_key_arn
  }

  tags = var.tags
}

# Rollbacks need their images. scripts/deploy.sh tags every image a task definition revision
# uses as release-<tag> (and removes that tag when it deregisters the revision, keeping at
# most --keep-revisions of them, 20 by default). ECR evaluates rules by priority, and "an
# image that matches the tagging requirements of a higher priority rule cannot be expired by
# a rule with a lower priority" (ECR User Guide, lifecycle policy evaluation rules): rule 1
# selects every release- image and expires one only past release_images_kept, far above
# what deploy.sh keeps; rule 2 then expires the oldest of the other images (pushed, never
# or no longer released) beyond keep_images.
resource "aws_ecr_lifecycle_policy" "this" {
  for_each   = aws_ecr_repository.this
  repository = each.value.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep every image a task definition revision may use (tagged release-*), up to ${var.release_images_kept}"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = ["release-"]
          countType     = "imageCountMoreThan"
          countNumber   = var.release_images_kept
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the last ${var.keep_images} images that no revision uses"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = var.keep_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

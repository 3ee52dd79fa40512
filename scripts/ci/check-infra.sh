#!/usr/bin/env bash
# Static checks of the AWS deployment (nothing here needs AWS or the Terraform providers):
#   1. terraform fmt -check        formatting of infra/terraform
#   2. checkov                     no failed check; skips only as #checkov:skip=ID:reason in code
#   3. pytest infra/tests          the HCL invariants (security groups, public IPs, ALB targets,
#                                  scaling, blue/green, deployer outputs, creation order), and
#                                  deploy.sh (fake tools; its ECR/ECS functions against moto)
#   4. scripts/deploy.sh           parses, and --help works
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh
# deployer: moto and the AWS CLI (infra/tests/test_ecr_images.py runs deploy.sh's ECR and
# ECS bookkeeping against moto).
ci_setup infra deployer

echo "--- terraform fmt -check -recursive infra/terraform"
terraform fmt -check -recursive infra/terraform

echo "--- checkov (infra/terraform)"
# --skip-download: no network here; the policies ship with the package.
"${CHECKOV:-checkov}" -d infra/terraform --framework terraform --quiet --compact --skip-download

echo "--- pytest infra/tests"
PYTHONDONTWRITEBYTECODE=1 "$INFRA_PYTHON" -m pytest -q -p no:cacheprovider infra/tests

echo "--- scripts/deploy.sh"
bash -n scripts/deploy.sh
scripts/deploy.sh --help >/dev/null
echo "infra checks passed"

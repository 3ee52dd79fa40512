#!/usr/bin/env bash
# The real hashicorp/aws provider on the configuration, as far as its version allows.
#
# The machine image carries one provider binary, hashicorp/aws 5.100.0, in a filesystem-mirror
# directory (nothing can be downloaded). It predates the 6.x blue/green arguments, so
# infra/tests/provider5.py copies infra/terraform without exactly those (tested by
# infra/tests/test_provider5.py), then this runs the provider's own checks on everything else:
#   1. terraform init -plugin-dir=<mirror> and terraform validate
#   2. terraform plan against moto (AWS_ENDPOINT_URL): the data sources are read and every
#      resource planned, which runs the provider's plan-time validation of the values.
# The 6.x arguments are checked against the 6.66.0 schema by infra/tests/test_provider_schema.py.
# A missing mirror fails this check loudly; it never passes without the provider.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh
ci_setup infra deployer

MIRROR="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
if [ ! -x "$MIRROR/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5" ]; then
    found=$(find / -name 'terraform-provider-aws_v5.100.0*' -not -path '/proc/*' 2>/dev/null | head -n1 || true)
    if [ -n "$found" ]; then
        MIRROR=${found%/registry.terraform.io/*}
    else
        echo "check-terraform-provider: FAILED: no hashicorp/aws 5.100.0 provider in $MIRROR or anywhere on this machine;" >&2
        echo "  this check needs the real provider binary (set TF_PROVIDER_MIRROR to its filesystem-mirror directory)" >&2
        exit 1
    fi
fi
echo "--- provider mirror: $MIRROR"

WORK=$(mktemp -d -t hwdash-tf5.XXXXXX)
MOTO_PID=""
cleanup() {
    [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

"$INFRA_PYTHON" infra/tests/provider5.py "$WORK/tf"
cat >"$WORK/tf/provider_override.tf" <<'TF'
# Only for the offline check: moto accepts any credentials.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIDMOTO"
  secret_key                  = "secret"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
}
TF
export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1
tf5() { terraform -chdir="$WORK/tf" "$@"; }

echo "--- terraform init (hashicorp/aws 5.100.0 from the mirror) and validate"
tf5 init -backend=false -input=false -no-color -plugin-dir="$MIRROR" >"$WORK/init.log" 2>&1 \
    || { cat "$WORK/init.log" >&2; echo "check-terraform-provider: FAILED: terraform init" >&2; exit 1; }
tf5 validate -no-color

echo "--- terraform plan against moto"
# Port 0: moto binds a free port itself and prints it.
"$MOTO_SERVER" -H 127.0.0.1 -p 0 2>"$WORK/moto.log" &
MOTO_PID=$!
endpoint=""
for _ in $(seq 1 150); do
    endpoint=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$WORK/moto.log" | head -n1 || true)
    [ -n "$endpoint" ] && break
    sleep 0.2
done
[ -n "$endpoint" ] || { cat "$WORK/moto.log" >&2; echo "check-terraform-provider: FAILED: moto did not start within 30 s" >&2; exit 1; }
if ! AWS_ENDPOINT_URL="$endpoint" timeout 300 terraform -chdir="$WORK/tf" plan -input=false -lock=false -no-color \
    -var portal_image_tag=offline-check -var hardware_image_tag=offline-check -var metrics_image_tag=offline-check >"$WORK/plan.log" 2>&1; then
    cat "$WORK/plan.log" >&2
    echo "check-terraform-provider: FAILED: terraform plan against moto" >&2
    exit 1
fi
summary=$(grep -E '^Plan: [0-9]+ to add' "$WORK/plan.log" || true)
planned=$(sed -E 's/^Plan: ([0-9]+) to add.*/\1/' <<<"$summary")
[ -n "$planned" ] && [ "$planned" -ge 80 ] \
    || { tail -40 "$WORK/plan.log" >&2; echo "check-terraform-provider: FAILED: expected a plan of every resource, got '$summary'" >&2; exit 1; }
echo "$summary"
echo "terraform provider checks passed"

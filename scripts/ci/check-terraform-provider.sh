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

# shellcheck source=scripts/ci/tf5.sh
source scripts/ci/tf5.sh
tf5_mirror check-terraform-provider
echo "--- provider mirror: $MIRROR"

WORK=$(mktemp -d -t hwdash-tf5.XXXXXX)
MOTO_PID=""
cleanup() {
    [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "--- terraform init (hashicorp/aws 5.100.0 from the mirror) and validate"
tf5_copy infra/tests/provider5.py "$WORK/tf"
export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1
terraform -chdir="$WORK/tf" validate -no-color

echo "--- terraform plan against moto"
start_moto "$WORK/moto.log"
if ! timeout 300 terraform -chdir="$WORK/tf" plan -input=false -lock=false -no-color \
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

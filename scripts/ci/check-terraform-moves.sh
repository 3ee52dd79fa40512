#!/usr/bin/env bash
# A refactor of infra/terraform must not replace what an applied stack already has: renamed
# resources need `moved` blocks. This applies the security groups and the load balancer (and
# what they depend on) of BASE to moto with the real hashicorp/aws 5.100.0
# provider, then plans the working tree's configuration on that state, and fails when the plan
# would create or destroy anything there.
#
# (moto reads some attributes back in another form, so BASE's own configuration also plans
# in-place updates on its state; only additions and deletions count here.)
#
# Usage: scripts/ci/check-terraform-moves.sh [BASE]
#   BASE defaults to dea4f81, the last main whose security groups and listener rules were
#   separate resources (before they became for_each maps): an applied stack of that release
#   must move, not be replaced. Give a newer release as BASE after the next such refactor.
set -euo pipefail
case "${1:-}" in -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;; esac
base=${1:-dea4f81}
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh
ci_setup infra deployer

git rev-parse --verify --quiet "$base^{commit}" >/dev/null \
    || { echo "error: '$base' is not a commit in this clone (a shallow clone? fetch the history)" >&2; exit 2; }
# shellcheck source=scripts/ci/tf5.sh
source scripts/ci/tf5.sh
tf5_mirror check-terraform-moves

WORK=$(mktemp -d -t hwdash-tf-moves.XXXXXX)
MOTO_PID=""
cleanup() {
    [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK/base"
git archive "$base" infra/terraform infra/tests/provider5.py | tar -x -C "$WORK/base"
tf5_copy "$WORK/base/infra/tests/provider5.py" "$WORK/old"
tf5_copy infra/tests/provider5.py "$WORK/new"
export TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1
start_moto "$WORK/moto.log"

args=(-input=false -lock=false -no-color -state="$WORK/state.tfstate"
    -var portal_image_tag=x -var hardware_image_tag=x -var metrics_image_tag=x
    -target=module.security_groups -target=module.alb)
echo "--- apply $base's security groups and load balancer to moto"
timeout 300 terraform -chdir="$WORK/old" apply -auto-approve "${args[@]}" >"$WORK/apply.log" 2>&1 \
    || { tail -40 "$WORK/apply.log" >&2; echo "check-terraform-moves: FAILED: apply of $base" >&2; exit 1; }
grep -E '^Apply complete' "$WORK/apply.log"
echo "--- plan the working tree on that state"
timeout 300 terraform -chdir="$WORK/new" plan "${args[@]}" >"$WORK/plan.log" 2>&1 \
    || { tail -40 "$WORK/plan.log" >&2; echo "check-terraform-moves: FAILED: plan" >&2; exit 1; }
echo "moved: $(grep -c 'has moved to\|(moved from' "$WORK/plan.log" || true)"
summary=$(grep -E '^Plan: |^No changes' "$WORK/plan.log" || true)
echo "$summary"
if grep -qE 'will be (created|destroyed)|must be replaced' "$WORK/plan.log"; then
    grep -E 'will be (created|destroyed)|must be replaced' "$WORK/plan.log" >&2
    echo "check-terraform-moves: FAILED: the refactor would create or destroy resources of an applied stack" >&2
    exit 1
fi
echo "terraform moves check passed"

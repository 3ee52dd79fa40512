#!/usr/bin/env bash
# The release rehearsal, short form (scripts/rehearse-release.sh; the long form is the same
# script with its defaults, 2,000 req/s and 15 s phases, see docs/deploy.md "What a release
# costs users"): the project's images under podman, one PostgreSQL, HAProxy as the ALB, and
# loadtest through the production port. Three runs, each bounded in time:
#   1. a release: green passes its smoke check, production shifts, blue drains and stops;
#   2. a rollback during the bake time: all traffic back to blue;
#   3. a green that fails its smoke check: it never receives a production request.
# Each must end with 0 failed requests and 0 responses over 1 s. Version N is a pinned earlier
# commit and N+1 the working tree, so N+1's expand migrations run under N (see --base-ref).
set -euo pipefail
cd "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"

RATE=${REHEARSAL_RATE:-400}
PHASE=${REHEARSAL_PHASE_SECONDS:-5}
# Version N: main before V2__expand_availability_history. Move it forward to the commit before
# the next expand migration, so the rehearsal keeps running the newest one under the old binary.
BASE_REF=${REHEARSAL_BASE_REF:-efdc99a8418c6e958dcd1fe35c906c52140caf02}
# run SECONDS ARGS...: one rehearsal, killed (and failed) after SECONDS. The first one also
# builds the images (N+1's shared with check-images.sh's build; N's from its own tree), hence
# its longer bound.
run() {
    local bound=$1; shift
    echo "--- rehearse-release.sh $*"
    timeout "$bound" bash scripts/rehearse-release.sh --rate "$RATE" --phase-seconds "$PHASE" --base-ref "$BASE_REF" "$@"
}
run 1200
run 300 --no-build --rollback-during-bake
run 300 --no-build --fail-smoke
echo "rehearsal: ok"

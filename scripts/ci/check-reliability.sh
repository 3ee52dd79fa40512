#!/usr/bin/env bash
# The short form of the reliability suite (docs/reliability.md): each fault on loopback, each
# bounded in time, printing its figures and a verdict; fails when any verdict is FAIL. The whole
# run is capped at 4.5 minutes (build included) so it cannot hang scripts/test.sh. The subset
# took 194 s on the shared 2-core machine (2026-12-04), so the old 3 minutes no longer fit:
# the two database outages and the soak take ~2 minutes of it, as each waits for the real
# thing (a first refresh cycle, the fault, the refresher's back-off, a cycle after).
#
#   scripts/ci/check-reliability.sh          the bounded subset
#   scripts/ci/check-reliability.sh --long   every scenario, long form (several minutes)
#
# low-fd-limit is left out of the subset: it does not yet meet its verdict (docs/reliability.md).
set -euo pipefail
cd "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"

if [ "${1:-}" = "--long" ]; then
    exec scripts/reliability.sh --long
fi
[ $# -eq 0 ] || { echo "error: unknown option '$1' (only --long)" >&2; exit 2; }

SUBSET=slow-clients,corrupt-row,restart,cache-busting,collector-flood,hardware-killed,sqlite-readonly,postgres-stopped,soak
timeout --kill-after=10 270 scripts/reliability.sh --only "$SUBSET" || {
    status=$?
    [ $status -eq 124 ] && echo "error: the reliability subset took more than 4.5 minutes" >&2
    exit $status
}

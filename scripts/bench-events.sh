#!/usr/bin/env bash
# Benchmarks kept events (issue 13) on a fresh PostgreSQL server on loopback:
#   1. ingest: StatsD timings over UDP into an in-process collector flushing to PostgreSQL
#      every second (COPY); the offered rate, the stored rate and every loss
#   2. a deep retrieval (default 432,000 events: a workflow 2 monthly partner), bulk-seeded with
#      COPY, paged to the last page over HTTP (every page timed), then its first, middle and
#      last page repeated for p50/p99, for the partner prefix and for one key
#   3. bytes per stored event including indexes
#   4. the time to drop one day's partition
# Figures only, nothing is asserted; copy them with the command line into docs/metrics.md. The
# sender, the collector and PostgreSQL share the machine's cores.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/bench-events.sh [OPTIONS]

Options:
  --rate N         offered ingest rate, events/s (default: 100000)
  --seconds N      sending time (default: 10)
  --deep-events N  events of the deep retrieval (default: 432000)
  --repeats N      repeats of the first, middle and last page (default: 300)
  --day-events N   events in the day partition whose drop is timed (default: 1000000)
  --fsync on|off   PostgreSQL fsync (default: on)
  --no-build       use the example binary already built
  -h, --help       show this help

Needs the PostgreSQL server binaries (scripts/ci/setup-postgres.sh) and python3.
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
rate=100000
seconds=10
deep_events=432000
repeats=300
day_events=1000000
fsync=on
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) rate=${2:?}; shift 2 ;;
        --seconds) seconds=${2:?}; shift 2 ;;
        --deep-events) deep_events=${2:?}; shift 2 ;;
        --repeats) repeats=${2:?}; shift 2 ;;
        --day-events) day_events=${2:?}; shift 2 ;;
        --fsync) fsync=${2:?}; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) unknown_option "$1" ;;
    esac
done
require_positive "$rate" "$seconds" "$deep_events" "$repeats" "$day_events"
[[ "$fsync" =~ ^(on|off)$ ]] || usage_error "--fsync must be on or off, not '$fsync'"

# shellcheck source=ci/setup-postgres.sh
source "$ROOT/scripts/ci/setup-postgres.sh"
if [ "$build" = 1 ]; then
    cargo build --quiet --release -p metrics --example bench_events
fi
bin="$CARGO_TARGET_DIR/release/examples/bench_events"
[ -x "$bin" ] || { echo "error: $bin is missing (run without --no-build)" >&2; exit 1; }

scratch=$(mktemp -d /tmp/bench-events.XXXXXX)
cleanup() {
    pg_scratch_stop "$scratch"
    rm -rf "$scratch"
}
trap cleanup EXIT

pg_scratch_start "$scratch" "fsync=$fsync" max_wal_size=4GB

echo "kept events on PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (fsync=$fsync, max_wal_size=4GB), loopback"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, net.core.rmem_max $(cat /proc/sys/net/core/rmem_max) bytes"
echo "command: scripts/bench-events.sh --rate $rate --seconds $seconds --deep-events $deep_events --repeats $repeats --day-events $day_events --fsync $fsync"
echo
RUST_LOG=warn "$bin" --database "$pg_url" \
    --rate "$rate" --seconds "$seconds" --deep-events "$deep_events" --repeats "$repeats" \
    --day-events "$day_events"
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

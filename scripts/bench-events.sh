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
        *) echo "error: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
for value in "$rate" "$seconds" "$deep_events" "$repeats" "$day_events"; do
    [[ "$value" =~ ^[1-9][0-9]*$ ]] || { echo "error: '$value' is not a positive whole number" >&2; exit 2; }
done
[[ "$fsync" =~ ^(on|off)$ ]] || { echo "error: --fsync must be on or off, not '$fsync'" >&2; exit 2; }

# shellcheck source=ci/setup-postgres.sh
source "$ROOT/scripts/ci/setup-postgres.sh"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ "$build" = 1 ]; then
    cargo build --quiet --release -p metrics --example bench_events
fi
bin="$CARGO_TARGET_DIR/release/examples/bench_events"
[ -x "$bin" ] || { echo "error: $bin is missing (run without --no-build)" >&2; exit 1; }

scratch=$(mktemp -d /tmp/bench-events.XXXXXX)
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$PG_TEST_USER" -- "$@"; else "$@"; fi
}
cleanup() {
    if [ -f "$scratch/data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$scratch/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$scratch"
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] && chown "$PG_TEST_USER:" "$scratch"
(cd "$scratch" && as_pg "$PG_BIN/initdb" -D "$scratch/data" -U postgres --auth=trust \
    --encoding=UTF8 --no-sync >/dev/null)
pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$scratch" && as_pg "$PG_BIN/pg_ctl" -D "$scratch/data" -l "$scratch/server.log" -w -t 30 \
    -o "-p $pg_port -k $scratch -c listen_addresses=127.0.0.1 -c fsync=$fsync -c max_wal_size=4GB" \
    start >/dev/null)

echo "kept events on PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (fsync=$fsync, max_wal_size=4GB), loopback"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start, net.core.rmem_max $(cat /proc/sys/net/core/rmem_max) bytes"
echo "command: scripts/bench-events.sh --rate $rate --seconds $seconds --deep-events $deep_events --repeats $repeats --day-events $day_events --fsync $fsync"
echo
RUST_LOG=warn "$bin" --database "postgres://postgres@127.0.0.1:$pg_port/postgres" \
    --rate "$rate" --seconds "$seconds" --deep-events "$deep_events" --repeats "$repeats" \
    --day-events "$day_events"
echo
echo "load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

#!/usr/bin/env bash
# Runs workflow 3 (5 x workflow 1 + 1 x workflow 2) against a local stack at 1x, 10x or 100x
# and writes the reports to docs/performance/loadtest-workflow3-<N>x.{md,json,*.svg}.
#
# Usage: scripts/loadtest-workflow3.sh [1|10|100]
#
# It starts hardware (SQLite file, fake availability source, catalog seeded to W3_PROFILES
# profiles so retrievals span several pages), portal and metrics on free loopback ports, from
# $CARGO_TARGET_DIR/release when the binaries are there, else it builds them. When the metrics
# service is not implemented yet (its --help has no --udp), `loadtest serve-trivial` stands in
# for its ingest endpoint, and the report says so.
#
# Environment:
#   W3_DURATION  run length, real time (default 2m; time is not compressed, so event rates are
#                the real ones x the multiplier, which multiplies the customers: 10x is ten
#                times the endpoints, readers and partners). Retrievals scheduled every 10 min,
#                a week or a month happen once per actor per run (first iterations spread over
#                the run),
#                which is denser than reality: an upper bound for the read load.
#   W3_PROFILES  catalog size (default 500: 10 pages of 50 per retrieval)
#   BIN_DIR      where the service binaries are (default $CARGO_TARGET_DIR/release)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hwdash-target}"
multiplier=${1:-1}
case "$multiplier" in
    1 | 10 | 100) ;;
    *) echo "usage: $0 [1|10|100]  (got '$multiplier')" >&2; exit 1 ;;
esac
duration=${W3_DURATION:-2m}
profiles=${W3_PROFILES:-500}
bin_dir=${BIN_DIR:-$CARGO_TARGET_DIR/release}
out_dir="$ROOT/docs/performance"
name="loadtest-workflow3-${multiplier}x"

for binary in hardware portal metrics loadtest; do
    if [ ! -x "$bin_dir/$binary" ]; then
        echo "building $binary (release)"
        cargo build --release --quiet -p "$binary"
    fi
done

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_ready URL SECONDS: polls until URL answers 200, bounded.
wait_ready() {
    local deadline=$(( $(date +%s) + $2 ))
    until python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200 else 1)" "$1" 2>/dev/null; do
        if [ "$(date +%s)" -ge "$deadline" ]; then
            echo "error: $1 not ready after $2 s" >&2
            tail -n 20 "$work"/*.log >&2 || true
            exit 1
        fi
        sleep 0.5
    done
}

hardware_port=$(free_port)
portal_port=$(free_port)
metrics_port=$(free_port)
metrics_udp=$(free_port)
stand_in=""

if "$bin_dir/metrics" --help 2>/dev/null | grep -q -- '--udp'; then
    # Workflow 3 has 1,450 endpoints per 1x, each its own key: at 100x that is 145,000 keys.
    # The collector splits --max-series evenly over its shards (one per UDP receive thread,
    # one per CPU by default, plus one for HTTP ingest), and all of POST /ingest goes to the
    # HTTP shard, so the default (100,000) holds only about 33,000 keys there and the rest
    # would be refused with 429s. Size it for the run: twice the keys (an hour boundary
    # inside the run) times the shard count.
    shards=$(( $(nproc) + 1 ))
    max_series=$(( 2900 * multiplier * shards > 100000 ? 2900 * multiplier * shards : 100000 ))
    "$bin_dir/metrics" --bind "127.0.0.1:$metrics_port" --udp "127.0.0.1:$metrics_udp" \
        --database "$work/metrics.db" --max-series "$max_series" >"$work/metrics.log" 2>&1 &
    pids+=($!)
    metrics_flags=(--metrics-udp "127.0.0.1:$metrics_udp")
else
    stand_in="metrics is not implemented yet: \`loadtest serve-trivial\` answered its POST /ingest"
    echo "note: $stand_in"
    "$bin_dir/loadtest" serve-trivial --bind "127.0.0.1:$metrics_port" >"$work/metrics.log" 2>&1 &
    pids+=($!)
    metrics_flags=()
fi

"$bin_dir/hardware" seed --database "$work/hardware.db" --profiles "$profiles" --quiet
"$bin_dir/hardware" --bind "127.0.0.1:$hardware_port" --database "$work/hardware.db" \
    --availability-source fake --fake-compute-ms 1 "${metrics_flags[@]}" >"$work/hardware.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$hardware_port/readyz" 60
"$bin_dir/portal" --bind "127.0.0.1:$portal_port" --hardware-url "http://127.0.0.1:$hardware_port" \
    >"$work/portal.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$portal_port/readyz" 60
wait_ready "http://127.0.0.1:$metrics_port/healthz" 30 2>/dev/null || true

mkdir -p "$out_dir"
status=0
"$bin_dir/loadtest" run loadtest/workflows/workflow3.toml \
    --multiplier "$multiplier" --duration "$duration" \
    --target "portal=http://127.0.0.1:$portal_port" \
    --target "hardware=http://127.0.0.1:$hardware_port" \
    --target "metrics=http://127.0.0.1:$metrics_port" \
    --report-dir "$out_dir" --report-name "$name" --progress never || status=$?

if [ -n "$stand_in" ]; then
    printf '\n> Note: %s.\n' "$stand_in" >>"$out_dir/$name.md"
fi
printf '\n> Stack: hardware (SQLite, fake availability source, %s profiles), portal, metrics on loopback; 2-core machine shared with the load generator.\n' "$profiles" >>"$out_dir/$name.md"
echo "report: $out_dir/$name.md (loadtest exit code $status: 0 pass, 2 an SLA threshold failed)"
exit "$status"

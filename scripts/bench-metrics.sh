#!/usr/bin/env bash
# Benchmarks the metrics service: UDP ingestion (messages/s with a zero-loss check), query
# latency, and the portal's p99 with its collector up versus down.
#
#   1. reference: `metrics bench-send --sink` sends to an in-process socket that only counts
#      lines: what loopback UDP on this machine carries at each offered rate
#   2. service: the same sender against a running `metrics` (flush every second); it then polls
#      the query API until the stored count equals the sent count, and reports the loss
#   3. queries: sequential GETs of /<key>/<stat>/<date>/<hour>, with /healthz as the same-run
#      reference (the HTTP floor), reported as a p99 ratio
#   3b. HTTP ingest: wrk POSTs batches of N `key:value` lines to /ingest (a lua script builds
#      the body once); prints requests/s and messages/s from wrk, and the messages/s the
#      collector counted (metrics_messages_ingested_total{transport="http"} before and after)
#   4. portal p99 under wrk with --metrics-udp pointing at the live collector, then at a closed
#      port (collector down), alternated; wrk's own request count is compared with what the
#      collector stored for the portal's key
#
# Traffic goes to 127.0.0.1 only, for a bounded time. Figures go to stdout; copy them into
# docs/performance/metrics.md together with the command line. The sender shares the 2 cores
# with the service, so the ingest figures are a lower bound of what a dedicated host does.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/bench-metrics.sh [OPTIONS]

Options:
  --rates "R ..."     offered total rates in messages/s, 0 = as fast as one sender thread can
                      (default: "100000 1000000 2000000 0")
  --duration SECS     sending time per rate (default: 5)
  --apps N            simulated app instances, one key each (default: 10)
  --queries N         timed queries after the first rate (default: 2000)
  --no-udp            skip the UDP ingest rates and the query timing (parts 1-3)
  --ingest-batch N    lines per POST /ingest batch (default: 1000)
  --ingest-duration S length of the wrk run against POST /ingest (default: 10; 0 skips it)
  --ingest-connections C  wrk connections for POST /ingest, on 2 threads (default: 8)
  --portal-duration S length of each wrk run against the portal (default: 10; 0 skips it)
  --data-dir DIR      scratch directory (default: ./.tmp/bench-metrics; wiped first)
  --no-build          use the release binaries already built
  -h, --help          show this help

Needs curl and python3; the HTTP ingest and portal parts also need wrk
(scripts/ci/setup-portal.sh installs it).
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
rates="100000 1000000 2000000 0"
duration=5
apps=10
queries=2000
portal_duration=10
udp=1
ingest_batch=1000
ingest_duration=10
ingest_connections=8
data_dir="$ROOT/.tmp/bench-metrics"
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --rates) rates=${2:?}; shift 2 ;;
        --duration) duration=${2:?}; shift 2 ;;
        --apps) apps=${2:?}; shift 2 ;;
        --queries) queries=${2:?}; shift 2 ;;
        --portal-duration) portal_duration=${2:?}; shift 2 ;;
        --no-udp) udp=0; shift ;;
        --ingest-batch) ingest_batch=${2:?}; shift 2 ;;
        --ingest-duration) ingest_duration=${2:?}; shift 2 ;;
        --ingest-connections) ingest_connections=${2:?}; shift 2 ;;
        --data-dir) data_dir=${2:?}; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) unknown_option "$1" ;;
    esac
done
for value in $rates "$duration" "$apps" "$queries" "$portal_duration" "$ingest_batch" \
    "$ingest_duration" "$ingest_connections"; do
    [[ "$value" =~ ^[0-9]+$ ]] || usage_error "'$value' is not a whole number"
done
[ "$duration" -ge 1 ] && [ "$duration" -le 60 ] || usage_error "--duration must be 1 to 60 s"
[ "$portal_duration" -le 120 ] || usage_error "--portal-duration is capped at 120 s"
[ "$ingest_duration" -le 60 ] || usage_error "--ingest-duration is capped at 60 s"
# 2 MB body limit on /ingest: ~20 bytes a line.
[ "$ingest_batch" -ge 1 ] && [ "$ingest_batch" -le 50000 ] || usage_error "--ingest-batch must be 1 to 50000 lines"
[ "$ingest_connections" -ge 2 ] || usage_error "--ingest-connections must be at least 2 (wrk runs 2 threads)"
require_tools "" curl python3

bin="$CARGO_TARGET_DIR/release"
if [ "$build" = 1 ]; then
    packages=(-p metrics)
    [ "$portal_duration" -gt 0 ] && packages+=(-p hardware -p portal)
    (cd "$ROOT" && cargo build --release --locked "${packages[@]}" --bins)
fi

rm -rf "$data_dir"
mkdir -p "$data_dir"
http_port=$(free_port); udp_port=$(free_udp_port)
url="http://127.0.0.1:$http_port"

pids=()
trap stop_pids EXIT INT TERM

# wait_ready URL NAME: up to 10 s; a service that is not ready ends the run.
wait_ready() {
    wait_http "$1" 10 2>/dev/null || { echo "error: $2 did not become ready at $1" >&2; exit 1; }
}

"$bin/metrics" --bind "127.0.0.1:$http_port" --udp "127.0.0.1:$udp_port" \
    --database "$data_dir/metrics.db" --flush-interval 1 >"$data_dir/metrics.log" 2>&1 &
pids+=($!)
wait_ready "$url/readyz" metrics

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max)"
first_rate=${rates%% *}
[ "$udp" = 1 ] || rates=""
for rate in $rates; do
    label=$rate; [ "$rate" = 0 ] && label="unthrottled"
    echo
    echo "== offered rate $label msg/s, $apps apps, ${duration}s"
    echo "-- reference (count-only sink):"
    "$bin/metrics" bench-send --sink --apps "$apps" --rate "$rate" --duration "$duration" | sed 's/^/   /'
    echo "-- metrics service:"
    # Queries are timed at the first (baseline) rate, not after an overload run.
    q=0; [ "$rate" = "$first_rate" ] && q=$queries
    "$bin/metrics" bench-send --udp "127.0.0.1:$udp_port" --url "$url" --apps "$apps" \
        --rate "$rate" --duration "$duration" --queries "$q" | sed 's/^/   /'
done

ingested_http() { # the collector's count of messages accepted over HTTP
    curl -s "$url/metrics" | awk '/^metrics_messages_ingested_total\{transport="http"\}/ {print $2}'
}
if [ "$ingest_duration" -gt 0 ]; then
    require_tools "scripts/ci/setup-portal.sh installs it" wrk
    echo
    echo "== HTTP POST /ingest: batches of $ingest_batch lines, $apps keys, wrk -t2 -c$ingest_connections ${ingest_duration}s"
    lua="$data_dir/ingest.lua"
    cat >"$lua" <<LUA
-- One body for every request: $ingest_batch lines of key:value over $apps keys.
local lines = {}
for i = 0, $ingest_batch - 1 do
    lines[#lines + 1] = string.format("bench-http-%d:%d.%d", i % $apps, 1 + (i * 37) % 900, i % 10)
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/plain"
wrk.body = table.concat(lines, "\n")
LUA
    before=$(ingested_http)
    out=$(wrk -t 2 -c "$ingest_connections" -d "${ingest_duration}s" --latency -s "$lua" "$url/ingest")
    after=$(ingested_http)
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    seconds=$(awk '/requests in/ {sub(/s,$/, "", $4); print $4}' <<<"$out")
    non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    python3 - "$requests" "$seconds" "$ingest_batch" "$before" "$after" "${non2xx:-0}" "$p99" <<'PY'
import sys
requests, seconds, batch = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
before, after, non2xx, p99 = float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
counted = int(after - before)
print(f"   wrk: {requests:,} requests in {seconds:.2f} s = {requests / seconds:,.0f} requests/s "
      f"= {requests * batch / seconds:,.0f} messages/s offered in batches; p99 {p99}; non-2xx {non2xx}")
expected = (requests - non2xx) * batch
print(f"   collector counted {counted:,} messages over HTTP = {counted / seconds:,.0f} messages/s; "
      f"wrk's 2xx responses x batch = {expected:,} (difference {counted - expected:+,}: requests "
      f"still in flight when wrk stopped)")
PY
fi

if [ "$portal_duration" = 0 ]; then
    exit 0
fi
echo
echo "== portal p99 with the collector up versus down"
if ! "$bin/portal" --help 2>/dev/null | grep -q -- '--metrics-udp'; then
    echo "   MISSING: portal has no --metrics-udp flag; skipped"
    exit 0
fi
require_tools "scripts/ci/setup-portal.sh installs it" wrk
hardware_port=$(free_port)
"$bin/hardware" seed --quiet --profiles 200 --database "$data_dir/hardware.db"
"$bin/hardware" --bind "127.0.0.1:$hardware_port" --database "$data_dir/hardware.db" \
    --availability-source fake --fake-compute-ms 1 --refresh-interval 3600 \
    >"$data_dir/hardware.log" 2>&1 &
pids+=($!)
wait_ready "http://127.0.0.1:$hardware_port/healthz" hardware
dead_udp="127.0.0.1:$(free_udp_port)" # nothing listens: every datagram draws an ICMP refusal

run_portal() { # MODE COLLECTOR -> prints "p99_ms requests stored"
    local mode=$1 collector=$2 port key portal_pid out p99 requests stored
    port=$(free_port)
    key="bench-portal-$mode-$RANDOM"
    "$bin/portal" --bind "127.0.0.1:$port" --hardware-url "http://127.0.0.1:$hardware_port" \
        --metrics-udp "$collector" --metrics-key "$key" >>"$data_dir/portal-$mode.log" 2>&1 &
    portal_pid=$!
    wait_ready "http://127.0.0.1:$port/healthz" portal
    sleep 3 # first sync from hardware
    out=$(wrk -t 2 -c 16 -d "${portal_duration}s" --latency "http://127.0.0.1:$port/")
    kill -TERM "$portal_pid"; wait "$portal_pid" 2>/dev/null || true
    p99=$(awk '$1=="99%" {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    stored=0
    if [ "$mode" = up ]; then
        sleep 2 # one flush
        local day hour
        day=$(date -u +%F); hour=$((10#$(date -u +%H)))
        stored=$(curl -s "$url/$key/average/$day/$hour" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("count",0))')
    fi
    echo "$p99 $requests $stored"
}

for round in 1 2; do
    for mode in up down; do
        collector="127.0.0.1:$udp_port"; [ "$mode" = down ] && collector=$dead_udp
        read -r p99 requests stored < <(run_portal "$mode" "$collector")
        if [ "$mode" = up ]; then
            echo "   round $round collector up:   wrk p99=$p99 requests=$requests (wrk) stored=$stored (collector; the portal also counts its own /healthz probes)"
        else
            echo "   round $round collector down: wrk p99=$p99 requests=$requests"
        fi
    done
done

#!/usr/bin/env bash
# Benchmarks the portal's dashboard against nginx serving the same HTML bytes as a static file.
#
#   1. a hardware catalog of --profiles profiles (fake availability, so all are computed fast)
#   2. portal synced from it; its `/` is saved to a file that nginx serves
#   3. wrk, same settings, same run: nginx, portal, nginx, portal (alternating evens out noise)
#   4. p99 latency at half the portal's measured rate: wrk2 when installed, else the
#      workspace's open-model `loadtest` tool (the servers alternate for --rounds runs and the
#      medians of their p99s are compared), else wrk at 2 connections (printed: which one)
#
# Traffic goes to 127.0.0.1 only, for a bounded time. Figures go to stdout; copy them into
# docs/performance/portal.md together with the command line.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/bench-portal.sh [OPTIONS]

Options:
  --profiles N       catalog size (default: 2000)
  --duration SECS    length of each wrk run (default: 10)
  --connections N    wrk connections (default: 32)
  --threads N        wrk threads (default: 2)
  --rounds N         nginx/portal pairs to run (default: 2)
  --data-dir DIR     scratch directory (default: ./.tmp/bench-portal; wiped first)
  --no-build         use the release binaries already built
  -h, --help         show this help

Needs wrk and nginx (scripts/ci/setup-portal.sh installs them) and curl.
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
profiles=2000
duration=10
connections=32
threads=2
rounds=2
data_dir="$ROOT/.tmp/bench-portal"
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --profiles) profiles=${2:?}; shift 2 ;;
        --duration) duration=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --threads) threads=${2:?}; shift 2 ;;
        --rounds) rounds=${2:?}; shift 2 ;;
        --data-dir) data_dir=${2:?}; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) unknown_option "$1" ;;
    esac
done
require_positive "$profiles" "$duration" "$connections" "$threads" "$rounds"
[ "$duration" -le 120 ] || usage_error "--duration is capped at 120 s"
require_tools "scripts/ci/setup-portal.sh installs wrk and nginx" wrk nginx curl python3

bin="$CARGO_TARGET_DIR/release"
p99_tool=wrk
if command -v wrk2 >/dev/null; then p99_tool=wrk2; elif [ -f "$ROOT/loadtest/Cargo.toml" ]; then p99_tool=loadtest; fi
if [ "$build" = 1 ]; then
    packages=(-p hardware -p portal)
    [ "$p99_tool" = loadtest ] && packages+=(-p loadtest)
    (cd "$ROOT" && cargo build --release --locked "${packages[@]}" --bins)
fi
[ "$p99_tool" = loadtest ] && [ ! -x "$bin/loadtest" ] && p99_tool=wrk

rm -rf "$data_dir"
mkdir -p "$data_dir/www"
hardware_port=$(free_port); portal_port=$(free_port); nginx_port=$(free_port)

pids=()
cleanup() {
    trap - EXIT INT TERM
    stop_pids
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

echo "seeding $profiles profiles..."
"$bin/hardware" seed --quiet --profiles "$profiles" --database "$data_dir/hardware.db"
# Fake availability (1 ms) so every profile is computed within seconds; a refresh interval of
# an hour keeps the catalog quiet during the runs, as between two real changes.
"$bin/hardware" --bind "127.0.0.1:$hardware_port" --database "$data_dir/hardware.db" \
    --availability-source fake --fake-compute-ms 1 --refresh-interval 3600 \
    >"$data_dir/hardware.log" 2>&1 &
pids+=($!)
"$bin/portal" --bind "127.0.0.1:$portal_port" --hardware-url "http://127.0.0.1:$hardware_port" \
    >"$data_dir/portal.log" 2>&1 &
pids+=($!)

echo "waiting until every profile is computed and the portal has it..."
pending=-1
for _ in $(seq 1 300); do
    pending=$(curl -sf -o /dev/null -D - "http://127.0.0.1:$hardware_port/hardware/?availability=PENDING&page=1&per_page=1" 2>/dev/null \
        | tr -d '\r' | awk -F': ' 'tolower($1)=="x-total-count" {print $2}') || true
    [ "$pending" = 0 ] && break
    sleep 0.5
done
[ "$pending" = 0 ] || { echo "error: hardware did not compute every profile in 150 s" >&2; exit 1; }
sleep 5 # two sync intervals, so the portal has the final version
curl -sf "http://127.0.0.1:$portal_port/" -o "$data_dir/www/index.html"
grep -q "not computed yet</span> <span class=\"count-value\">0<" "$data_dir/www/index.html" \
    || { echo "error: the portal's page still shows profiles being computed" >&2; exit 1; }
rows=$(grep -c '<th scope="row">' "$data_dir/www/index.html" || true)
bytes=$(wc -c <"$data_dir/www/index.html")

# nginx with the portal's worker count (2 on this machine), no access log, keep-alive without a
# request limit (hyper has none), serving the saved page as a static file.
workers=$(nproc)
cat >"$data_dir/nginx.conf" <<NGINX
worker_processes $workers;
daemon off;
pid $data_dir/nginx.pid;
error_log $data_dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types { text/html html; }
    server {
        listen 127.0.0.1:$nginx_port;
        root $data_dir/www;
        index index.html;
    }
}
NGINX
nginx -c "$data_dir/nginx.conf" -p "$data_dir" &
pids+=($!)
sleep 0.5
cmp -s <(curl -sf "http://127.0.0.1:$nginx_port/") "$data_dir/www/index.html" \
    || { echo "error: nginx does not serve the saved page" >&2; exit 1; }

wrk_rps() { # URL -> requests/second
    wrk -t"$threads" -c"$connections" -d"${duration}s" "$1" | awk '/^Requests\/sec:/ {print $2}'
}
echo "warming up..."
wrk -t1 -c4 -d2s "http://127.0.0.1:$nginx_port/" >/dev/null
wrk -t1 -c4 -d2s "http://127.0.0.1:$portal_port/" >/dev/null

echo "wrk -t$threads -c$connections -d${duration}s, $rounds rounds; page: $rows rows, $bytes bytes, catalog $profiles profiles"
nginx_total=0; portal_total=0
for round in $(seq 1 "$rounds"); do
    n=$(wrk_rps "http://127.0.0.1:$nginx_port/")
    p=$(wrk_rps "http://127.0.0.1:$portal_port/")
    printf '  round %d: nginx %10.0f req/s   portal %10.0f req/s   ratio %.2f\n' "$round" "$n" "$p" "$(python3 -c "print($p/$n)")"
    nginx_total=$(python3 -c "print($nginx_total+$n)"); portal_total=$(python3 -c "print($portal_total+$p)")
done
nginx_mean=$(python3 -c "print(round($nginx_total/$rounds))")
portal_mean=$(python3 -c "print(round($portal_total/$rounds))")
ratio=$(python3 -c "print(f'{$portal_total/$nginx_total:.2f}')")
echo "mean:    nginx $nginx_mean req/s, portal $portal_mean req/s, portal/nginx ratio $ratio (goal >= 1.0)"

half=$((portal_mean / 2))
p99_seconds=$((duration * 2))
case "$p99_tool" in
    wrk2)
        echo "p99 at $half req/s (half the portal's rate), wrk2 -R$half, ${p99_seconds}s:"
        for target in nginx:$nginx_port portal:$portal_port; do
            p99=$(wrk2 -t"$threads" -c"$connections" -d"${p99_seconds}s" -R"$half" --latency "http://127.0.0.1:${target#*:}/" \
                | awk '$1=="99.000%" {print $2}')
            echo "  ${target%%:*}: p99 $p99"
        done
        ;;
    loadtest)
        # The p99 of one short run moves with whatever else shares the machine (a burst of
        # 10-40 ms on one run, 1.5 ms on the next), so the servers alternate for --rounds runs
        # each and the median of their p99s is compared; every run is printed.
        echo "p99 at $half req/s (half the portal's rate), workspace loadtest (open model, corrected for coordinated omission), ${duration}s a run, $rounds rounds:"
        cat >"$data_dir/half-rate.toml" <<TOML
name = "half-rate"
description = "GET / at a fixed rate"
duration = "${duration}s"

[[actor]]
name = "viewer"
target = "site"
count = 1
schedule = { requests = $half, every = "1s" }

[[actor.step]]
name = "dashboard"
method = "GET"
path = "/"
TOML
        for round in $(seq 1 "$rounds"); do
            line="  round $round:"
            for target in nginx:$nginx_port portal:$portal_port; do
                report="$data_dir/${target%%:*}-half-rate-$round.json"
                "$bin/loadtest" run "$data_dir/half-rate.toml" --target "site=http://127.0.0.1:${target#*:}" \
                    --connections "$connections" --progress never --json "$report" >/dev/null 2>"$data_dir/loadtest.log" || true
                line+=$(python3 - "$report" "${target%%:*}" <<'PY'
import json, sys
total = json.load(open(sys.argv[1]))["total"]
c = total["corrected"]
print(f" {sys.argv[2]} p99 {c['p99']:6.2f} ms (p50 {c['p50']:.2f}, max {c['max']:.2f}, {total['errors']} errors, {total['throughput']:.0f} req/s)")
PY
)
            done
            echo "$line"
        done
        python3 - "$data_dir" "$rounds" <<'PY'
import json, statistics, sys
data_dir, rounds = sys.argv[1], int(sys.argv[2])
def p99s(name):
    return [json.load(open(f"{data_dir}/{name}-half-rate-{r}.json"))["total"]["corrected"]["p99"] for r in range(1, rounds + 1)]
nginx, portal = statistics.median(p99s("nginx")), statistics.median(p99s("portal"))
print(f"median p99: nginx {nginx:.2f} ms, portal {portal:.2f} ms, portal/nginx {portal / nginx:.2f} (goal <= 1.0)")
PY
        ;;
    *)
        echo "p99 (no fixed-rate tool available): wrk -t1 -c2 -d${p99_seconds}s --latency, closed loop at a lower load:"
        for target in nginx:$nginx_port portal:$portal_port; do
            p99=$(wrk -t1 -c2 -d"${p99_seconds}s" --latency "http://127.0.0.1:${target#*:}/" | awk '$1=="99%" {print $2}')
            echo "  ${target%%:*}: p99 $p99"
        done
        ;;
esac
echo "machine: $(nproc) cores, $(uname -sr); load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews figures)"

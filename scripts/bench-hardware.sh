#!/usr/bin/env bash
# Benchmarks the `hardware` service (issue 2). Prints three figures:
#   A. GET /hardware/ latency while every profile is still being computed (the real 5 s
#      computation is running on every worker), next to nginx serving the same JSON bytes
#      as a static file, with the same wrk settings in the same run;
#   B. time to a full refresh of N profiles with W workers, against the bound ceil(N/W) x 5 s
#      (the real computation);
#   C. resident memory with 100,000 profiles (after start, and after serving the full list),
#      and the time to start serving them.
# Traffic goes to 127.0.0.1 only, for a bounded time.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/bench-hardware.sh [OPTIONS]

Options:
  --duration SECS      length of each wrk run (default: 10)
  --connections N      wrk connections (default: 32)
  --refresh-n N        profiles for the full-refresh figure (default: the 78-profile seed catalog;
                       more are generated when N is larger)
  --refresh-workers W  compute workers for the full-refresh figure (default: 16)
  --big N              catalog size for the memory figure (default: 100000)
  --data-dir DIR       scratch directory (default: ./.tmp/bench-hardware; wiped first)
  --no-build           use the release binary already built
  -h, --help           show this help

Needs wrk, nginx, curl and python3 (scripts/ci/setup-portal.sh installs wrk and nginx).
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
duration=10; connections=32; refresh_n=78; refresh_workers=16; big=100000
data_dir="$ROOT/.tmp/bench-hardware"; build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --refresh-n) refresh_n=${2:?}; shift 2 ;;
        --refresh-workers) refresh_workers=${2:?}; shift 2 ;;
        --big) big=${2:?}; shift 2 ;;
        --data-dir) data_dir=${2:?}; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) unknown_option "$1" ;;
    esac
done
require_positive "$duration" "$connections" "$refresh_n" "$refresh_workers" "$big"
[ "$duration" -le 120 ] || usage_error "--duration is capped at 120 s"
require_tools "scripts/ci/setup-portal.sh installs wrk and nginx" wrk nginx curl python3

bin="$CARGO_TARGET_DIR/release/hardware"
[ "$build" = 1 ] && (cd "$ROOT" && cargo build --release --locked -p hardware --bin hardware)

rm -rf "$data_dir"; mkdir -p "$data_dir/www"; chmod 755 "$data_dir" "$data_dir/www"
pids=()
trap stop_pids EXIT INT TERM

metric() { # PORT NAME{labels}: current value from /metrics
    curl -sf "http://127.0.0.1:$1/metrics" | awk -v name="$2" '$1==name {print $2}'
}
rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
wrk_summary() { # URL -> "req/s p50 p99"
    wrk -t2 -c"$connections" -d"${duration}s" --latency "$1" | awk '
        /^Requests\/sec:/ {rps=$2}
        $1=="50%" {p50=$2} $1=="99%" {p99=$2}
        END {print rps, p50, p99}'
}

echo "== A. GET /hardware/ while every profile is being computed (real 5 s computation)"
port=$(free_port); nginx_port=$(free_port)
"$bin" seed --quiet --profiles 2000 --database "$data_dir/a.db"
"$bin" --bind "127.0.0.1:$port" --database "$data_dir/a.db" --refresh-interval 3600 >"$data_dir/a.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$port/readyz"
for path in "hardware/?page=1&per_page=50" "hardware/"; do
    file="$data_dir/www/$(echo "$path" | tr '/?&=' '____').json"
    curl -sf "http://127.0.0.1:$port/$path" -o "$file"
done
cat >"$data_dir/nginx.conf" <<NGINX
worker_processes $(nproc);
daemon off;
pid $data_dir/nginx.pid;
error_log $data_dir/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
    types { application/json json; }
    server { listen 127.0.0.1:$nginx_port; root $data_dir/www; }
}
NGINX
nginx -c "$data_dir/nginx.conf" -p "$data_dir" & pids+=($!)
sleep 0.5
busy=$(metric "$port" hardware_compute_slots_busy)
never=$(metric "$port" 'hardware_profiles{state="never_computed"}')
echo "catalog 2000 profiles; compute slots busy: $busy; never computed: $never"
printf '%-34s %12s %10s %10s   %s\n' "request" "req/s" "p50" "p99" "vs nginx (same bytes)"
for path in "hardware/?page=1&per_page=50" "hardware/"; do
    file="$(echo "$path" | tr '/?&=' '____').json"
    read -r n_rps n_p50 n_p99 <<<"$(wrk_summary "http://127.0.0.1:$nginx_port/$file")"
    read -r h_rps h_p50 h_p99 <<<"$(wrk_summary "http://127.0.0.1:$port/$path")"
    ratio=$(python3 -c "print(f'{$h_rps/$n_rps:.2f}')")
    printf '%-34s %12s %10s %10s   nginx %s req/s, p99 %s; ratio %s\n' "/$path" "$h_rps" "$h_p50" "$h_p99" "$n_rps" "$n_p99" "$ratio"
done
printf '(bytes: page of 50 = %s, full list = %s)\n' "$(wc -c <"$data_dir/www/hardware__page_1_per_page_50.json")" "$(wc -c <"$data_dir/www/hardware_.json")"
never_after=$(metric "$port" 'hardware_profiles{state="never_computed"}')
echo "still never computed after the runs: $never_after of 2000"
stop_pids

echo
echo "== B. full refresh of $refresh_n profiles with $refresh_workers workers (real 5 s computation)"
port=$(free_port)
"$bin" seed --quiet --profiles "$refresh_n" --database "$data_dir/b.db"
count=$(sqlite3 "$data_dir/b.db" 'SELECT COUNT(*) FROM hardware' 2>/dev/null || echo "$refresh_n")
start=$(date +%s.%N)
"$bin" --bind "127.0.0.1:$port" --database "$data_dir/b.db" --compute-workers "$refresh_workers" \
    --refresh-interval 3600 >"$data_dir/b.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$port/readyz"
deadline=$(( $(date +%s) + 600 ))
until [ "$(metric "$port" 'hardware_profiles{state="never_computed"}')" = 0 ]; do
    [ "$(date +%s)" -lt "$deadline" ] || { echo "error: refresh did not finish within 600 s" >&2; exit 1; }
    sleep 0.1
done
elapsed=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
bound=$(python3 -c "import math; print(math.ceil($count/$refresh_workers)*5)")
echo "N=$count W=$refresh_workers: full refresh in ${elapsed} s; bound ceil(N/W) x 5 s = ${bound} s; ratio $(python3 -c "print(f'{$elapsed/$bound:.3f}')")"
echo "(measured from process start, so it includes start-up and the 100 ms polling step)"
stop_pids

echo
echo "== C. resident memory with $big profiles"
port=$(free_port)
seed_start=$(date +%s.%N)
"$bin" seed --quiet --profiles "$big" --database "$data_dir/c.db"
echo "seeding $big profiles took $(python3 -c "print(f'{$(date +%s.%N) - $seed_start:.1f}')") s"
start=$(date +%s.%N)
"$bin" --bind "127.0.0.1:$port" --database "$data_dir/c.db" --refresh-interval 3600 >"$data_dir/c.log" 2>&1 &
pid=$!; pids+=($pid)
wait_http "http://127.0.0.1:$port/readyz"
echo "serving $big profiles $(python3 -c "print(f'{$(date +%s.%N) - $start:.2f}')") s after start"
echo "RSS after start: $(rss_mib "$pid") MiB"
bytes=$(curl -sf "http://127.0.0.1:$port/hardware/" | wc -c)
curl -sf -o /dev/null "http://127.0.0.1:$port/hardware/?provider=Azure"
echo "RSS after serving the full list ($bytes bytes, cached) and a filtered one: $(rss_mib "$pid") MiB"
read -r rps p50 p99 <<<"$(wrk_summary "http://127.0.0.1:$port/hardware/?page=2000&per_page=50")"
echo "GET /hardware/?page=2000&per_page=50 on $big profiles: $rps req/s, p50 $p50, p99 $p99"
delta_version=$(curl -sf -D - -o /dev/null "http://127.0.0.1:$port/hardware/?page=1&per_page=1" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-snapshot-version" {print $2}')
read -r rps p50 p99 <<<"$(wrk_summary "http://127.0.0.1:$port/hardware/changes?since=$delta_version")"
echo "GET /hardware/changes?since=<current> (the portal's poll, 304 or a small delta): $rps req/s, p50 $p50, p99 $p99"
echo "RSS at the end: $(rss_mib "$pid") MiB"

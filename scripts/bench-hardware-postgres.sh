#!/usr/bin/env bash
# Time for `hardware` processes sharing one PostgreSQL to refresh N profiles, with 1, 2 and 4
# processes, against the bound ceil(N / total workers) x compute time.
#
# The real computation takes 5 s per profile: 1,000 profiles on 10 workers would take 500 s
# per run. So the processes use the fake source with a fixed delay (--compute-ms, default
# 500 ms) and 10 workers each; the bound scales linearly with the delay, so a ratio measured
# here holds for 5 s (the coordination overhead per profile is milliseconds, even smaller
# next to 5 s). Each run gets a fresh server (initdb in a temporary directory, 127.0.0.1
# only), seeds N profiles with `hardware seed`, starts the processes together and polls
# their /metrics until the computations across all of them add up to N.
#
# Prints a table: processes, workers, measured seconds, bound, ratio, computations (must be
# exactly N: nobody computed a profile twice).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/bench-hardware-postgres.sh [OPTIONS]

Options:
  --profiles N        profiles to refresh (default: 1000)
  --processes LIST    process counts to compare, comma-separated (default: 1,2,4)
  --workers N         compute workers per process (default: 10)
  --compute-ms MS     fake computation time in milliseconds (default: 500; the real one is 5000)
  --real              run the real computation (slow_process_to_calculate_availability, 5 s
                      each) instead of the fake one; sets the compute time to 5000 ms
  --timeout SECS      give up on one run after this long (default: 300)
  --release           build and run the release binary (default: the dev build)
  -h, --help          show this help

Needs the PostgreSQL server binaries (scripts/ci/setup-postgres.sh checks them and, as root,
creates the OS user the server runs as) and curl.
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
profiles=1000
process_list=1,2,4
workers=10
compute_ms=500
timeout=300
profile=dev
source_kind=fake
while [ $# -gt 0 ]; do
    case $1 in
        --profiles) profiles=$2; shift 2 ;;
        --processes) process_list=$2; shift 2 ;;
        --workers) workers=$2; shift 2 ;;
        --compute-ms) compute_ms=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --release) profile=release; shift ;;
        --real) source_kind=real; shift ;;
        -h|--help) usage; exit 0 ;;
        *) unknown_option "$1" ;;
    esac
done
if [ "$source_kind" = real ]; then
    compute_ms=5000
    source_flags=(--availability-source real)
else
    source_flags=(--availability-source fake --fake-compute-ms "$compute_ms")
fi
require_positive "$profiles" "$workers" "$compute_ms" "$timeout"
[[ $process_list =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] \
    || usage_error "--processes '$process_list' is not a comma-separated list of counts"

# shellcheck source=scripts/ci/lib.sh
source "$ROOT/scripts/ci/lib.sh"
# shellcheck source=scripts/ci/setup-postgres.sh
source "$ROOT/scripts/ci/setup-postgres.sh"
require_tools "" curl
if [ "$profile" = release ]; then
    cargo build --quiet --release -p hardware
    bin="$CARGO_TARGET_DIR/release/hardware"
else
    cargo build --quiet -p hardware
    bin="$CARGO_TARGET_DIR/debug/hardware"
fi

scratch=$(mktemp -d /tmp/bench-hw-pg.XXXXXX)
pids=()
stop_all() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    pids=()
    pg_scratch_stop "$scratch"
}
cleanup() { stop_all; rm -rf "$scratch"; }
trap cleanup EXIT

start_server() {
    pg_scratch_start "$scratch" fsync=off
    db_url=$pg_url
}

# Sum of one counter over every process.
sum_metric() {
    local total=0 port value
    for port in "$@"; do
        value=$(curl -s --max-time 2 "http://127.0.0.1:$port/metrics" \
            | awk '$1 == "hardware_computations_total" {print $2}')
        total=$((total + ${value:-0}))
    done
    echo "$total"
}

now() { date +%s.%N; }

printf '%s\n' "PostgreSQL work sharing: $profiles profiles, $source_kind computation ${compute_ms} ms, $workers workers per process ($profile build)"
printf '%s\n' "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
printf '\n%-10s %-8s %-12s %-10s %-7s %-13s %s\n' processes workers measured_s bound_s ratio computations speedup_vs_1
first=""
IFS=, read -r -a counts <<<"$process_list"
for processes in "${counts[@]}"; do
    start_server
    "$bin" seed --quiet --profiles "$profiles" --database "$db_url" >/dev/null
    ports=()
    started=$(now)
    for _ in $(seq "$processes"); do
        port=$(free_port)
        ports+=("$port")
        "$bin" --bind "127.0.0.1:$port" --database "$db_url" "${source_flags[@]}" \
            --compute-workers "$workers" \
            --refresh-interval 3600 --claim-lease 60 2>>"$scratch/hardware.log" &
        pids+=($!)
    done
    deadline=$(( $(date +%s) + timeout ))
    while :; do
        done_count=$(sum_metric "${ports[@]}")
        [ "$done_count" -ge "$profiles" ] && break
        if [ "$(date +%s)" -gt "$deadline" ]; then
            echo "error: $processes process(es) computed $done_count of $profiles within ${timeout}s" >&2
            tail -20 "$scratch/hardware.log" >&2
            exit 1
        fi
        sleep 0.1
    done
    finished=$(now)
    sleep 1 # let a duplicate computation, if any, show up in the counters
    total=$(sum_metric "${ports[@]}")
    stop_all
    read -r measured bound ratio speedup < <(python3 - "$started" "$finished" "$profiles" \
        "$processes" "$workers" "$compute_ms" "${first:-0}" <<'PY'
import math, sys
started, finished, n, p, w, ms, first = sys.argv[1:]
measured = float(finished) - float(started)
bound = math.ceil(int(n) / (int(p) * int(w))) * int(ms) / 1000
first = float(first) or measured
print(f"{measured:.2f} {bound:.2f} {measured / bound:.3f} {first / measured:.2f}")
PY
)
    [ -z "$first" ] && first=$measured
    printf '%-10s %-8s %-12s %-10s %-7s %-13s %s\n' "$processes" "$((processes * workers))" \
        "$measured" "$bound" "$ratio" "$total" "${speedup}x"
    if [ "$total" -ne "$profiles" ]; then
        echo "error: $total computations for $profiles profiles: some profile was computed twice" >&2
        exit 1
    fi
done
printf '\n%s\n' "bound = ceil(profiles / (processes x workers)) x compute time; ratio = measured / bound"
printf '%s\n' "measured = from starting the processes until their computations add up to the profile count"
printf '%s\n' "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

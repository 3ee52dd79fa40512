#!/usr/bin/env bash
# Measures the real per-task ceiling of portal, hardware and metrics: each service's own
# container image, run with the CPU and memory of its Fargate task (infra/terraform defaults),
# under an open-model rate ladder from the workspace's `loadtest`. Writes
# docs/performance/task-capacity.{json,md} (see --help).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/bench-task-capacity.sh [OPTIONS]

Finds the highest request rate one task of each service sustains, on this machine:
  1. builds the static binaries and the images localhost/hwdash-SERVICE:task-capacity
     (infra/docker/Dockerfile, BINARY_FROM=prebuilt) and a release loadtest;
  2. runs the service from its image with its Fargate task's limits (--cpus <service>_cpu/1024,
     --memory <service>_memory MiB from infra/terraform/variables.tf), network host, on
     loopback, and checks in the container's cgroup that the limits are in force:
       portal    GET /  (the dashboard; hardware behind it runs on the host, not limited,
                 on its SQLite seed catalog with instant fake availability: a steady page)
       hardware  GET /hardware/?page=1&per_page=50 on its SQLite seed catalog (real 5 s
                 availability computation on its bounded pool, as in production)
       metrics   POST /ingest, one event a request (workflow 1's "send event"), into a
                 scratch PostgreSQL on loopback; new-key limits sized so nothing is refused
  3. a rate ladder with `loadtest run` (open model, 2 workers, 64 connections): from
     --start-rate, x1.5 while steps pass, then bisection between the last pass and the first
     fail, at most --max-steps steps. A step passes when achieved >= 97 % of scheduled,
     0 errors, corrected p99 <= 200 ms and max < 1000 ms;
  4. per step, from the container's cgroup: CPU (vCPU, us per request), CFS throttling,
     memory; the ceiling is the highest passing step, and it is "service"-bound when the
     container used >= 90 % of its CPU limit (or was throttled in >= 50 % of the periods) at
     the first failing step, else "generator"-bound (loadtest shares this machine's cores).

Options:
  --service S        portal, hardware, metrics or all (default: all). With one service, its
                     entry replaces the one in an existing task-capacity.json.
  --step-seconds N   length of each step (default: 20)
  --start-rate N     first step's rate in requests/s (default: 2000; the ceilings here are
                     30,000-75,000 req/s, which x1.5 from 100 would take 15 steps to reach)
  --max-steps N      most steps per service, bisection included (default: 13, about 5.5
                     minutes a service at 20 s steps)
  --out DIR          report directory (default: docs/performance)
  --no-build         use the images and binaries already built
  -h, --help         show this help

Needs podman and runc (containers), PostgreSQL server binaries (scripts/ci/setup-postgres.sh),
curl and python3. Environment: CARGO_TARGET_DIR (default ~/.cache/hwdash-target).
Exit code: 0 when every ceiling was measured, 1 on a failure (nothing is written then),
2 on a bad option.
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export ROOT
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
# shellcheck source=scripts/lib/container.sh
source "$ROOT/scripts/lib/container.sh"

command_line="scripts/bench-task-capacity.sh${*:+ $*}"
service_opt=all
step_seconds=20
start_rate=2000
max_steps=13
out_dir="$ROOT/docs/performance"
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --service) service_opt=${2:?--service needs portal, hardware, metrics or all}; shift 2 ;;
        --step-seconds) step_seconds=${2:?--step-seconds needs a number}; shift 2 ;;
        --start-rate) start_rate=${2:?--start-rate needs a number}; shift 2 ;;
        --max-steps) max_steps=${2:?--max-steps needs a number}; shift 2 ;;
        --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
        --no-build) build=0; shift ;;
        -h | --help) usage; exit 0 ;;
        *) unknown_option "$1" ;;
    esac
done
case "$service_opt" in
    all) services=(portal hardware metrics) ;;
    portal | hardware | metrics) services=("$service_opt") ;;
    *) usage_error "--service must be portal, hardware, metrics or all, not '$service_opt'" ;;
esac
require_positive "$step_seconds" "$start_rate" "$max_steps"
[ "$step_seconds" -ge 5 ] && [ "$step_seconds" -le 300 ] || usage_error "--step-seconds must be 5-300"
[ "$max_steps" -ge 2 ] || usage_error "--max-steps must be at least 2"
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

cd "$ROOT"
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh
apt_install podman runc ca-certificates
require_tools "" podman curl python3
[[ " ${services[*]} " == *" metrics "* ]] && ci_setup postgres
use_containers_conf

TAG=task-capacity
RUN_ID="hwdash-tc-$$"
STATIC="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"
LOADTEST="$CARGO_TARGET_DIR/release/loadtest"
WORK=$(mktemp -d -t hwdash-tc.XXXXXX)
chmod 0755 "$WORK"
pids=()
containers=()

fail() {
    echo "task-capacity: FAILED: $*" >&2
    exit 1
}
cleanup() {
    trap - EXIT INT TERM
    local ctr
    for ctr in "${containers[@]}"; do podman rm -f -t 0 "$ctr" >/dev/null 2>&1 || true; done
    stop_pids
    pg_scratch_stop "$WORK/pg"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

# --- build -----------------------------------------------------------------------------------
if [ "$build" = 1 ]; then
    echo "--- build: static binaries, images localhost/hwdash-{$(IFS=,; echo "${services[*]}")}:$TAG, loadtest"
    build_images "$TAG" "${services[@]}" || fail "building the images"
    cargo build --release --locked -p loadtest || fail "cargo build -p loadtest"
fi
for service in "${services[@]}"; do
    podman image exists "localhost/hwdash-$service:$TAG" || fail "no image localhost/hwdash-$service:$TAG (run without --no-build)"
done
[ -x "$LOADTEST" ] || fail "no $LOADTEST (run without --no-build)"
[ -x "$STATIC/hardware" ] || fail "no $STATIC/hardware (run without --no-build)"

# --- helpers ---------------------------------------------------------------------------------

# start_container SERVICE PODMAN-ARG...: runs localhost/hwdash-SERVICE:TAG with SERVICE's task
# size, checks in its cgroup that the CPU quota and memory limit are in force; sets CID.
start_container() {
    local service=$1 cpus memory name got_cpus got_memory
    shift
    cpus=$(task_cpus "$service") || fail "task size of $service"
    memory=$(task_memory_mib "$service") || fail "task size of $service"
    name="$RUN_ID-$service"
    containers+=("$name")
    podman_ run -d --name "$name" --network host --read-only \
        --cpus "$cpus" --memory "${memory}m" --memory-swap "${memory}m" \
        -e LOG_FORMAT=json "$@" "localhost/hwdash-$service:$TAG" >/dev/null || fail "podman run of $service"
    CID=$(podman inspect --format '{{.Id}}' "$name")
    got_cpus=$(cpu_limit_cpus "$CID")
    got_memory=$(memory_limit_mib "$CID")
    python3 -c "import sys; sys.exit(0 if '$got_cpus' != 'none' and abs(float('$got_cpus') - $cpus) < 0.01 else 1)" \
        || fail "the $service container's CPU quota is '$got_cpus' CPUs, not $cpus: it cannot be limited here"
    [ "$got_memory" = "$memory" ] \
        || fail "the $service container's memory limit is '$got_memory' MiB, not $memory: it cannot be limited here"
    [ "$(cpu_usage_seconds "$CID")" != nan ] || fail "no CPU accounting in the $service container's cgroup"
    [ "$(memory_now_mib "$CID")" != nan ] || fail "no memory accounting in the $service container's cgroup"
    echo "$service container: $got_cpus CPUs (quota in its cgroup), $got_memory MiB limit"
}

# wait_ready URL NAME: URL answers 200 within 60 s, else the container's log and fail.
wait_ready() {
    wait_http "$1" 60 || { podman logs --tail 20 "$RUN_ID-$2" >&2 2>&1 || true; fail "$2 not ready"; }
}

# write_workflow FILE RATE: a one-step open-model workflow at RATE requests/s for
# --step-seconds; 50 actors, each RATE/5 requests every 10 s (RATE is a multiple of 5).
# REQUEST_TOML holds the step's method, path, headers and body.
write_workflow() {
    cat >"$1" <<TOML
name = "task-capacity"
duration = "${step_seconds}s"

[[actor]]
name = "client"
target = "service"
count = 50
schedule = { requests = $(($2 / 5)), every = "10s" }

[[actor.step]]
name = "request"
$REQUEST_TOML
TOML
}

# children_cpu FILE: user + system CPU seconds of this shell's finished children so far, into
# FILE (`times` in a command substitution would count the subshell's children only).
children_cpu() {
    times >"$WORK/times"
    awk 'NR == 2 { split($0, t, /[ms]+/); print t[1] * 60 + t[2] + t[3] * 60 + t[4] }' "$WORK/times" >"$1"
}
# host_busy: "busy_ticks total_ticks" of all CPUs from /proc/stat.
host_busy() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
now() { date +%s.%N; }
round5() { python3 -c "print(max(5, int(round($1 / 5.0)) * 5))"; }

# run_step SERVICE RATE: one step of the ladder against $URL; appends its figures to
# $WORK/steps-SERVICE.jsonl and sets PASSED (1 or 0).
run_step() {
    local service=$1 rate=$2 cpu0 cpu1 cpu2 thr0 thr1 t0 t1 mem gen0 gen1 host0 host1 status=0
    write_workflow "$WORK/step.toml" "$rate"
    cpu0=$(cpu_usage_seconds "$CID")
    thr0=$(cpu_throttling "$CID")
    host0=$(host_busy)
    children_cpu "$WORK/gen0"
    t0=$(now)
    "$LOADTEST" run "$WORK/step.toml" --target "service=$URL" --workers 2 --connections 64 \
        --progress never --json "$WORK/step.json" >"$WORK/step.out" 2>&1 || status=$?
    t1=$(now)
    children_cpu "$WORK/gen1"
    gen0=$(cat "$WORK/gen0")
    gen1=$(cat "$WORK/gen1")
    host1=$(host_busy)
    cpu1=$(cpu_usage_seconds "$CID")
    thr1=$(cpu_throttling "$CID")
    mem=$(memory_now_mib "$CID")
    # loadtest exits 0 or 2 (an SLA threshold of the file failed; this file has none).
    [ "$status" -le 2 ] && [ -s "$WORK/step.json" ] || { cat "$WORK/step.out" >&2; fail "loadtest run at $rate req/s (exit $status)"; }
    # Work a step's requests cause after it (metrics' flush of their events, every 5 s) lands
    # in the pause after the step; it counts for the CPU per request.
    sleep "$SETTLE"
    cpu2=$(cpu_usage_seconds "$CID")
    for v in "$cpu0" "$cpu1" "$cpu2" "$mem"; do [ "$v" != nan ] || fail "a cgroup figure of the $service container could not be read"; done
    PASSED=$(python3 - "$WORK/step.json" "$rate" "$t0" "$t1" "$cpu0" "$cpu1" "$cpu2" "$thr0" "$thr1" "$mem" \
        "$gen0" "$gen1" "$host0" "$host1" "$(getconf CLK_TCK)" "$WORK/steps-$service.jsonl" <<'PY'
import json, sys
import os
(path, rate, t0, t1, cpu0, cpu1, cpu2, thr0, thr1, mem, gen0, gen1, host0, host1, tck, out) = sys.argv[1:]
r = json.load(open(path))
total, wall = r["total"], float(t1) - float(t0)
count, errors = total["count"], total["errors"]
achieved = count / r["settings"]["elapsed_seconds"]
scheduled = r["settings"]["scheduled_rate_per_second"]
if abs(scheduled - float(rate)) > 0.5:
    sys.exit(f"loadtest scheduled {scheduled} req/s, not {rate}")
c = total["corrected"]
periods, throttled = (int(b) - int(a) for a, b in zip(thr0.split(), thr1.split()))
(hb0, ht0), (hb1, ht1) = (map(int, h.split()) for h in (host0, host1))
passed = achieved >= 0.97 * scheduled and errors == 0 and c["p99"] <= 200 and c["max"] < 1000
step = {
    "scheduled": round(scheduled), "achieved": round(achieved), "errors": errors,
    "p50_ms": round(c["p50"], 2), "p99_ms": round(c["p99"], 2), "max_ms": round(c["max"], 2),
    "cpu_vcpu": round((float(cpu1) - float(cpu0)) / wall, 3),
    "cpu_us_per_request": round((float(cpu2) - float(cpu0)) / max(count, 1) * 1e6, 1),
    "throttled_pct": round(throttled / periods * 100, 1) if periods else 0.0,
    "memory_mib": int(mem), "passed": passed,
    # Not in task-capacity.json: for the Markdown page.
    "_generator_vcpu": round((float(gen1) - float(gen0)) / wall, 2),
    "_host_busy_vcpu": round((hb1 - hb0) / int(tck) / wall, 2),
    "_errors_by_kind": total.get("errors_by_kind", {}),
}
with open(out, "a") as f:
    f.write(json.dumps(step) + "\n")
print(f"  {scheduled:>7.0f} req/s scheduled: {achieved:7.0f} achieved, {errors} errors, p50 {c['p50']:.2f} ms, "
      f"p99 {c['p99']:.2f} ms, max {c['max']:.1f} ms | container {step['cpu_vcpu']:.2f} vCPU, "
      f"{step['cpu_us_per_request']:.0f} us/req, throttled {step['throttled_pct']:.0f} %, {mem} MiB | "
      f"loadtest {step['_generator_vcpu']:.2f} vCPU, host {step['_host_busy_vcpu']:.2f} of {os.cpu_count()} | "
      f"{'PASS' if passed else 'FAIL'}", file=sys.stderr)
print(int(passed))
PY
) || fail "reading the step at $rate req/s"
}

# ladder SERVICE: from --start-rate, x1.5 while steps pass, then bisection between the last
# pass and the first fail (until they are within 5 % or the step budget is spent).
ladder() {
    local service=$1 rate=$start_rate low=0 high=0 steps=0 next
    rate=$(round5 "$rate")
    : >"$WORK/steps-$service.jsonl"
    while [ "$steps" -lt "$max_steps" ]; do
        run_step "$service" "$rate"
        steps=$((steps + 1))
        if [ "$PASSED" = 1 ]; then low=$rate; else high=$rate; fi
        if [ "$high" = 0 ]; then
            next=$(round5 "$(python3 -c "print($rate * 1.5)")")
        else
            # Stop when the interval is within 5 % of the last pass (or 5 req/s).
            python3 -c "import sys; sys.exit(0 if $high - $low <= max(5, 0.05 * $low) else 1)" && break
            next=$(round5 "$(python3 -c "print(($low + $high) / 2)")")
            [ "$next" -gt "$low" ] && [ "$next" -lt "$high" ] || break
        fi
        rate=$next
        sleep 1
    done
    [ "$low" -gt 0 ] || fail "$service passed no step (the first, at $(round5 "$start_rate") req/s, failed): lower --start-rate"
    [ "$high" -gt 0 ] || fail "$service passed every step up to $low req/s within --max-steps $max_steps: raise --start-rate or --max-steps"
}

# finish_service SERVICE REQUEST NOTE: memory peak, the service's entry in
# $WORK/service-SERVICE.json; needs CID and MEMORY_BASE.
finish_service() {
    local service=$1 peak
    peak=$(memory_peak_mib "$CID")
    [ "$peak" != nan ] || fail "no memory peak in the $service container's cgroup"
    python3 - "$service" "$2" "$(task_cpus "$service")" "$(task_memory_mib "$service")" "$MEMORY_BASE" "$peak" \
        "$WORK/steps-$service.jsonl" "$3" "$WORK/service-$service.json" <<'PY'
import json, sys
service, request, cpus, memory, base, peak, steps_path, note, out = sys.argv[1:]
steps = [json.loads(line) for line in open(steps_path)]
cpus = float(cpus)
passing = [s for s in steps if s["passed"]]
ceiling = max(passing, key=lambda s: s["scheduled"])
first_fail = next(s for s in steps if not s["passed"])
saturated = first_fail["cpu_vcpu"] >= 0.9 * cpus or first_fail["throttled_pct"] >= 50
bound = "service" if saturated else "generator"
why = (f"at the first failing step ({first_fail['scheduled']} req/s) the container used "
       f"{first_fail['cpu_vcpu']:.2f} of its {cpus:g} vCPU ({first_fail['cpu_vcpu'] / cpus * 100:.0f} %) and was throttled in "
       f"{first_fail['throttled_pct']:.0f} % of the CFS periods; loadtest used {first_fail['_generator_vcpu']:.2f} vCPU and the "
       f"host {first_fail['_host_busy_vcpu']:.2f} vCPU in all")
why += (": the task's CPU limit is the bound" if saturated
        else ": the container had CPU to spare, so the generator (or something else on the shared cores) was the limit")
entry = {
    "request": request, "cpu_vcpu": cpus if cpus != int(cpus) else int(cpus), "memory_mib": int(memory),
    "ceiling_rps": ceiling["scheduled"], "ceiling_bound": bound,
    "cpu_us_per_request": ceiling["cpu_us_per_request"],
    "memory_base_mib": int(base), "memory_peak_mib": int(peak),
    "steps": steps, "_why": why, "_note": note,
}
json.dump(entry, open(out, "w"))
print(f"{service}: ceiling {entry['ceiling_rps']} req/s, {entry['cpu_us_per_request']:.0f} us CPU per request, "
      f"memory {base} MiB after start, peak {peak} MiB; bound: {bound} ({why})")
PY
}

# --- the services ----------------------------------------------------------------------------
load_before=$(cut -d' ' -f1 /proc/loadavg)
started_all=$(now)

bench_portal() {
    local hw_port port
    echo "--- portal: GET / (hardware on the host, not limited)"
    hw_port=$(free_port)
    port=$(free_port)
    mkdir -p "$WORK/portal-hw"
    # The seed catalog (created from database.sql on first start), every profile computed at
    # once (fake, 1 ms) and not again for an hour: the page stays the same during the ladder.
    "$STATIC/hardware" --bind "127.0.0.1:$hw_port" --database "$WORK/portal-hw/hardware.db" \
        --availability-source fake --fake-compute-ms 1 --refresh-interval 3600 >"$WORK/portal-hw/log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$hw_port/readyz" 60 || fail "hardware (behind portal) not ready: $(tail -5 "$WORK/portal-hw/log")"
    local pending=-1
    for _ in $(seq 1 150); do
        pending=$(curl -sf -o /dev/null -D - "http://127.0.0.1:$hw_port/hardware/?availability=PENDING&page=1&per_page=1" \
            | tr -d '\r' | awk -F': ' 'tolower($1) == "x-total-count" { print $2 }') || true
        [ "$pending" = 0 ] && break
        sleep 0.2
    done
    [ "$pending" = 0 ] || fail "hardware (behind portal) did not compute its catalog in 30 s"
    start_container portal -e PORTAL_BIND="127.0.0.1:$port" -e HARDWARE_URL="http://127.0.0.1:$hw_port" \
        -e PORTAL_HEALTHCHECK_URL="http://127.0.0.1:$port/healthz"
    URL="http://127.0.0.1:$port"
    wait_ready "$URL/readyz" portal
    sleep 5 # two sync intervals: the portal has the final catalog
    curl -sf "$URL/" -o "$WORK/page.html" || fail "GET / of portal"
    grep -q 'not computed yet</span> <span class="count-value">0<' "$WORK/page.html" \
        || fail "the portal's page still shows profiles being computed"
    local rows bytes
    rows=$(grep -c '<th scope="row">' "$WORK/page.html" || true)
    bytes=$(wc -c <"$WORK/page.html")
    MEMORY_BASE=$(memory_now_mib "$CID")
    REQUEST_TOML='method = "GET"
path = "/"
headers = { accept = "text/html", accept-encoding = "gzip" }'
    SETTLE=2
    ladder portal
    finish_service portal "GET /" "The dashboard page of the seed catalog ($rows profiles, $bytes bytes uncompressed), asked for with accept-encoding gzip as a browser does (the portal keeps the page rendered and gzipped per catalog version). hardware behind it runs on the host without limits, with instant fake availability and an hour's refresh interval, so the page does not change during the ladder; the portal polls it every 2 s."
    podman rm -f -t 0 "$RUN_ID-portal" >/dev/null 2>&1 || true
    stop_pids
}

bench_hardware() {
    local port
    echo "--- hardware: GET /hardware/?page=1&per_page=50 (SQLite seed catalog, real availability)"
    port=$(free_port)
    mkdir -p "$WORK/hardware-data"
    chmod 0777 "$WORK/hardware-data" # the image runs as uid 10001
    start_container hardware -v "$WORK/hardware-data:/data" -e HARDWARE_BIND="127.0.0.1:$port"
    URL="http://127.0.0.1:$port"
    wait_ready "$URL/readyz" hardware
    local total
    total=$(curl -sf -o /dev/null -D - "$URL/hardware/?page=1&per_page=50" | tr -d '\r' \
        | awk -F': ' 'tolower($1) == "x-total-count" { print $2 }')
    [ -n "$total" ] && [ "$total" -gt 0 ] || fail "hardware serves no catalog"
    sleep 2
    MEMORY_BASE=$(memory_now_mib "$CID")
    REQUEST_TOML='method = "GET"
path = "/hardware/?page=1&per_page=50"
headers = { accept = "application/json" }'
    SETTLE=2
    ladder hardware
    local computed
    computed=$(curl -sf "$URL/metrics" | awk '$1 == "hardware_compute_slots_busy" { print $2 }')
    finish_service hardware "GET /hardware/?page=1&per_page=50" "The first page of 50 of the seed catalog ($total profiles, created from database.sql at the container's first start on a /data volume). The real availability computation runs all along, as in production: a blocking 5 s sleep per profile on the bounded compute pool (its size is the CPUs the process sees; ${computed:-?} slot(s) busy at the end), and each result is written to SQLite and changes the snapshot the page is served from. It sleeps rather than burns CPU, so it costs the task little; its writes and snapshot rebuilds are part of the figures."
    podman rm -f -t 0 "$RUN_ID-hardware" >/dev/null 2>&1 || true
}

bench_metrics() {
    local port udp_port
    echo "--- metrics: POST /ingest (PostgreSQL on loopback)"
    mkdir -p "$WORK/pg"
    pg_scratch_start "$WORK/pg" max_connections=100 || fail "PostgreSQL start"
    port=$(free_port)
    udp_port=$(free_udp_port)
    # 250 keys (as workflow 1's 250 endpoints); the series and new-key limits far above them,
    # so the load is never refused with 429 (all of POST /ingest is one sender).
    start_container metrics -e METRICS_BIND="127.0.0.1:$port" -e METRICS_UDP_BIND="127.0.0.1:$udp_port" \
        -e METRICS_DATABASE="$pg_url" -e METRICS_MAX_SERIES=100000 \
        -e METRICS_MAX_NEW_SERIES=20000 -e METRICS_MAX_NEW_SERIES_PER_SOURCE=20000
    URL="http://127.0.0.1:$port"
    wait_ready "$URL/readyz" metrics
    sleep 2
    MEMORY_BASE=$(memory_now_mib "$CID")
    REQUEST_TOML='method = "POST"
path = "/ingest"
headers = { content-type = "text/plain" }
body = "ptc.c{actor_index}.e{random:0-4}.req:{random:1-900}\n"'
    SETTLE=6 # one flush interval (5 s): the step's events are written to PostgreSQL
    ladder metrics
    local counters
    counters=$(curl -sf "$URL/metrics" | awk '
        /^metrics_events_stored_total/ { stored += $2 }
        /^metrics_(events|messages)_dropped_total/ { dropped += $2 }
        END { printf "%d events stored, %d dropped or refused", stored, dropped }')
    finish_service metrics "POST /ingest" "One event a request (workflow 1's \"send event\": a text/plain key:value line), over 250 keys, into a scratch PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on loopback (a host process, not limited, on the same 2 cores), METRICS_MAX_SERIES=100000 and new-key admission at 20000 a window so nothing is refused; after the ladder: $counters. CPU per request includes the flush after the step (5 s interval)."
    podman rm -f -t 0 "$RUN_ID-metrics" >/dev/null 2>&1 || true
    pg_scratch_stop "$WORK/pg"
}

for service in "${services[@]}"; do
    "bench_$service"
done

# --- the reports -----------------------------------------------------------------------------
load_after=$(cut -d' ' -f1 /proc/loadavg)
wall=$(python3 -c "print(round($(now) - $started_all))")
machine="$(nproc) vCPU, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
python3 - "$out_dir" "$WORK" "$machine" "$load_before" "$load_after" "$command_line" "$wall" "$step_seconds" \
    "$("$LOADTEST" --version 2>/dev/null || echo loadtest)" "$(podman --version)" "${services[@]}" <<'PY'
import datetime, json, os, sys
out_dir, work, machine, load_before, load_after, command, wall, step_seconds, loadtest_version, podman_version, *measured = sys.argv[1:]
json_path, md_path = f"{out_dir}/task-capacity.json", f"{out_dir}/task-capacity.md"
entries = {s: json.load(open(f"{work}/service-{s}.json")) for s in measured}
# One service measured: the others keep their entries from the last run.
previous = {}
if len(measured) < 3 and os.path.exists(json_path):
    previous = json.load(open(json_path)).get("services", {})
def public(entry):
    e = {k: v for k, v in entry.items() if not k.startswith("_")}
    e["steps"] = [{k: v for k, v in s.items() if not k.startswith("_")} for s in entry["steps"]]
    return e
services = {}
for name in ("portal", "hardware", "metrics"):
    if name in entries:
        services[name] = public(entries[name])
    elif name in previous:
        services[name] = previous[name]
doc = {
    "date": datetime.date.today().isoformat(), "machine": machine,
    "load_before": float(load_before), "load_after": float(load_after),
    "command": command, "services": services,
}
with open(json_path, "w") as f:
    json.dump(doc, f, indent=2)
    f.write("\n")

lines = [
    "# Task capacity: one Fargate task of each service",
    "",
    f"Measured {doc['date']} with `{command}` ({wall} s of wall time for "
    f"{', '.join(measured)}) on {machine}; 1-minute load average {load_before} before, {load_after} after. "
    f"Figures: [task-capacity.json](task-capacity.json).",
    "",
    "## How",
    "",
    f"- Each service runs from its own image (`localhost/hwdash-<service>:task-capacity`, built from "
    "`infra/docker/Dockerfile` with the static release binary), in one container with the CPU and memory of its "
    "Fargate task from the defaults in `infra/terraform/variables.tf` (`podman run --cpus <service>_cpu/1024 "
    "--memory <service>_memory`, no swap, read-only root, host network on loopback); the script checks the CPU quota "
    f"and memory limit in the container's cgroup before it measures. {podman_version}, runc, cgroup v1.",
    f"- Load: the workspace's `loadtest` ({loadtest_version}) on the host, open model (requests leave at their "
    "scheduled times whatever the answers do; latency is measured from the scheduled time, so a backlog shows), "
    f"one step of {step_seconds} s per rate, 50 actors, 2 workers, at most 64 connections in flight.",
    "- Ladder: from the start rate, x1.5 while steps pass, then bisection between the last pass and the first "
    "fail. A step passes when it achieved >= 97 % of the scheduled rate with 0 errors, a corrected p99 <= 200 ms "
    "and a max < 1000 ms. The ceiling is the highest passing step.",
    "- Per step, from the container's cgroup: CPU as vCPU (CPU seconds / wall seconds of the step), CPU per "
    "request (including the pause after the step, where work the step caused lands: metrics' flush), the share "
    "of 100 ms CFS periods in which the quota ran out (throttled), and memory charged at the end of the step "
    "(resident plus page cache, what the limit counts; the page cache of the image's binary is charged only to "
    "the first container that reads it, so the figures can differ by the binary's size, about 12-17 MiB, from one run "
    "to the next). Base memory is the charge after start and before load.",
    "- Bound: **service** when at the first failing step the container used >= 90 % of its CPU limit or was "
    "throttled in >= 50 % of the periods; otherwise **generator**: the container had CPU to spare and the load "
    "generator (or the rest of the machine) was the limit.",
    "- The machine has 2 cores for everything: the generator, the container, and (for portal) hardware or (for "
    "metrics) PostgreSQL. A generator needs CPU of its own for every request, so above a few thousand requests "
    "per second the generator competes with the container for the same cores; the loadtest and host columns show "
    "how much CPU was left (host: busy CPU of the whole machine from /proc/stat, sampled in 10 ms ticks, so it can "
    "read a little below the sum of the cgroup's and loadtest's precise figures). On Fargate the task has its vCPU to itself: these ceilings are for one task, not for "
    "this machine.",
    "",
    "## Ceilings",
    "",
    "| service | request | task | ceiling | bound | CPU per request | memory after start | memory peak |",
    "|---|---|---|---:|---|---:|---:|---:|",
]
for name, e in services.items():
    lines.append(f"| {name} | `{e['request']}` | {e['cpu_vcpu']} vCPU, {e['memory_mib']} MiB | {e['ceiling_rps']:,} req/s | "
                 f"{e['ceiling_bound']} | {e['cpu_us_per_request']:.0f} µs | {e['memory_base_mib']} MiB | {e['memory_peak_mib']} MiB |")
for name, e in services.items():
    full = entries.get(name)
    lines += ["", f"## {name}: `{e['request']}`", ""]
    if full is None:
        lines += ["(from an earlier run; rerun with `--service all` for its notes)"]
        continue
    lines += [full["_note"], "",
              f"Ceiling **{e['ceiling_rps']:,} req/s**, bound: **{e['ceiling_bound']}**: {full['_why']}.", "",
              "| # | scheduled | achieved | errors | p50 ms | p99 ms | max ms | container vCPU | µs/req | throttled | memory MiB | loadtest vCPU | host vCPU | |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for i, s in enumerate(full["steps"], 1):
        kinds = ", ".join(f"{k} {v}" for k, v in s["_errors_by_kind"].items())
        lines.append(f"| {i} | {s['scheduled']:,} | {s['achieved']:,} | {s['errors']}{' (' + kinds + ')' if kinds else ''} | "
                     f"{s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['max_ms']:.1f} | {s['cpu_vcpu']:.2f} | "
                     f"{s['cpu_us_per_request']:.0f} | {s['throttled_pct']:.0f} % | {s['memory_mib']} | "
                     f"{s['_generator_vcpu']:.2f} | {s['_host_busy_vcpu']:.2f} | {'pass' if s['passed'] else 'FAIL'} |")
lines.append("")
open(md_path, "w").write("\n".join(lines))
print(f"wrote {json_path} and {md_path}")
PY
echo "wall time: ${wall} s"

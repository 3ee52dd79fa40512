#!/usr/bin/env bash
# Runs workflow 3 (5 x workflow 1 + 1 x workflow 2: events written to metrics and read back
# page by page) against the metrics service in its own container, with the CPU and memory of
# the Fargate task in infra/terraform, and PostgreSQL on loopback as the hosted database.
# Writes docs/performance/loadtest-workflow3-<N>x.{md,json,*.svg} (see --help).
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/loadtest-workflow3.sh [OPTIONS] [1|10|100]

Runs workflow 3 at 1x (default), 10x or 100x:
  1. builds the static metrics binary and its image (localhost/hwdash-metrics:workflow3) and
     a release loadtest;
  2. starts a fresh PostgreSQL on loopback (the hosted database; RDS in production);
  3. seeds the history the retrievals read (`loadtest seed | metrics import-events`) and
     prints its rate;
  4. starts metrics from its image with the Fargate task's CPU and memory
     (infra/terraform/variables.tf: metrics_cpu, metrics_memory);
  5. runs the workflow (loadtest on the host), sampling the container's CPU and memory and
     PostgreSQL's CPU;
  6. appends the stack figures (CPU, memory, database size, rows per second) to the report.

Options:
  --duration D       run length, real time (default 2m). Retrievals run at their real rates,
                     so most weekly and monthly ones fall outside a short run; the workflow's
                     probe makes one whole monthly partner retrieval (432,000 events) in every
                     run.
  --seed all|read    which history to load: all of it (1x: 44.3 million events, about 7 GB
                     with indexes) or only what this run's retrievals read. Default: all at
                     1x, read above (10x would be 443 million events, more than this disk).
  --cpus N           container CPUs (default: metrics_cpu / 1024 from infra)
  --memory MIB       container memory in MiB (default: metrics_memory from infra)
  --out DIR          report directory (default: docs/performance)
  --no-build         use the image and binaries already built
  -h, --help         show this help

Environment: CARGO_TARGET_DIR (default ~/.cache/hwdash-target).
Exit code: loadtest's (0 every threshold met, 2 a threshold failed), 1 when the run failed.
USAGE
}

multiplier=1
duration=2m
seed_scope=""
cpus=""
memory=""
build=1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
out_dir="$ROOT/docs/performance"
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=${2:?--duration needs a value}; shift 2 ;;
        --seed) seed_scope=${2:?--seed needs all or read}; shift 2 ;;
        --cpus) cpus=${2:?--cpus needs a value}; shift 2 ;;
        --memory) memory=${2:?--memory needs a value}; shift 2 ;;
        --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
        --no-build) build=0; shift ;;
        -h | --help) usage; exit 0 ;;
        1 | 10 | 100) multiplier=$1; shift ;;
        *) echo "error: unknown argument '$1' (expected 1, 10, 100 or an option; see --help)" >&2; exit 64 ;;
    esac
done
[ -n "$seed_scope" ] || { [ "$multiplier" = 1 ] && seed_scope=all || seed_scope=read; }
[[ "$seed_scope" =~ ^(all|read)$ ]] || { echo "error: --seed must be all or read, not '$seed_scope'" >&2; exit 64; }

cd "$ROOT"
export ROOT
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh
# shellcheck source=scripts/lib/container.sh
source scripts/lib/container.sh
apt_install podman runc ca-certificates postgresql-client
ci_setup postgres
use_containers_conf
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hwdash-target}"
TARGET=x86_64-unknown-linux-gnu
IMAGE=localhost/hwdash-metrics:workflow3
NAME="loadtest-workflow3-${multiplier}x"
RUN_ID="hwdash-w3-$$"
WORK=$(mktemp -d -t hwdash-w3.XXXXXX)
chmod 0755 "$WORK"

# The Fargate task size of metrics, from the variables' defaults.
[ -n "$cpus" ] || cpus=$(task_cpus metrics)
[ -n "$memory" ] || memory=$(task_memory_mib metrics)
[[ "$cpus" =~ ^[0-9.]+$ ]] || { echo "error: --cpus '$cpus' is not a number" >&2; exit 64; }
[[ "$memory" =~ ^[0-9]+$ ]] || { echo "error: --memory '$memory' is not a whole number of MiB" >&2; exit 64; }

runuser_() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_TEST_USER" -- "$@"; else "$@"; fi; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() { echo "workflow3: FAILED: $*" >&2; exit 1; }
cleanup() {
    [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null || true
    podman rm -f -t 0 "$RUN_ID-metrics" >/dev/null 2>&1 || true
    [ -d "$WORK/pg" ] && runuser_ "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 143" INT TERM

STATIC="$CARGO_TARGET_DIR/$TARGET/release"
if [ "$build" = 1 ]; then
    echo "--- build: static metrics (the image's binary) and loadtest"
    # The same packages and flags as scripts/ci/check-images.sh, so one build serves both.
    RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked --target "$TARGET" \
        -p portal -p hardware -p metrics || fail "cargo build (static)"
    cargo build --release --locked -p loadtest || fail "cargo build -p loadtest"
    ctx="$WORK/ctx"
    mkdir -p "$ctx/prebuilt" "$ctx/infra/docker"
    cp "$STATIC/portal" "$STATIC/hardware" "$STATIC/metrics" /etc/ssl/certs/ca-certificates.crt "$ctx/prebuilt/"
    cp -r infra/docker/rootfs infra/docker/writable "$ctx/infra/docker/"
    podman_ build --quiet --format docker -f infra/docker/Dockerfile --build-arg BINARY_FROM=prebuilt \
        --target metrics -t "$IMAGE" "$ctx" >/dev/null || fail "podman build of metrics"
fi
podman image exists "$IMAGE" || fail "no image $IMAGE (run without --no-build)"
LOADTEST="$CARGO_TARGET_DIR/release/loadtest"
[ -x "$LOADTEST" ] || fail "no $LOADTEST (run without --no-build)"

echo "--- PostgreSQL on loopback"
PG_PORT=$(free_port)
mkdir -p "$WORK/pg" && chown "$PG_TEST_USER" "$WORK/pg" 2>/dev/null || true
runuser_ "$PG_BIN/initdb" -D "$WORK/pg" -A trust -U hwdash >/dev/null
runuser_ "$PG_BIN/pg_ctl" -D "$WORK/pg" -w -t 30 -l "$WORK/pg/log" \
    -o "-h 127.0.0.1 -p $PG_PORT -k $WORK/pg -c max_connections=100" start >/dev/null || fail "postgres start"
DB="postgres://hwdash:hwdash@127.0.0.1:$PG_PORT/postgres"

echo "--- seed: the history the retrievals read (--seed $seed_scope)"
seed_started=$(date +%s.%N)
"$LOADTEST" seed loadtest/workflows/workflow3.toml --multiplier "$multiplier" --duration "$duration" \
    --scope "$seed_scope" 2>"$WORK/seed.err" \
    | "$STATIC/metrics" import-events --database "$DB" >"$WORK/import.out" || fail "seeding: $(cat "$WORK/seed.err")"
seed_seconds=$(python3 -c "import time; print(f'{time.time() - $seed_started:.0f}')")
cat "$WORK/seed.err" "$WORK/import.out"
seed_summary=$(tail -n 1 "$WORK/import.out")
seed_writers=$(sed -n 's/^seed: //p' "$WORK/seed.err")

echo "--- metrics in its container (--cpus $cpus --memory ${memory}m)"
HTTP_PORT=$(free_port)
UDP_PORT=$(free_port)
# Every endpoint is a key: 1,450 per 1x. Twice that (an hour boundary inside the run) per
# shard, as the collector splits --max-series over its shards.
max_series=$(( 2900 * multiplier * 3 > 100000 ? 2900 * multiplier * 3 : 100000 ))
# The new-key admission counts all of POST /ingest as one sender (behind a load balancer the
# peer address says nothing), and one load generator stands for 1,450 x N endpoints that all
# start at once: with the default (1,000 new keys per sender per 5 s window) the first windows
# refuse the rest with 429s (601 of 77,000 sends at 1x). Sized like --max-series, for the run.
new_series=$(( 2900 * multiplier > 1000 ? 2900 * multiplier : 1000 ))
podman_ run -d --name "$RUN_ID-metrics" --network host --read-only \
    --cpus "$cpus" --memory "${memory}m" --memory-swap "${memory}m" \
    -e METRICS_BIND="127.0.0.1:$HTTP_PORT" -e METRICS_UDP_BIND="127.0.0.1:$UDP_PORT" \
    -e METRICS_DATABASE="$DB" -e METRICS_MAX_SERIES="$max_series" -e LOG_FORMAT=json \
    -e METRICS_MAX_NEW_SERIES="$new_series" -e METRICS_MAX_NEW_SERIES_PER_SOURCE="$new_series" \
    "$IMAGE" >/dev/null || fail "podman run"
for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >/dev/null || { podman logs "$RUN_ID-metrics" | tail -20; fail "metrics not ready"; }

# The container's CPU time, throttling and memory (scripts/lib/container.sh).
CID=$(podman inspect --format '{{.Id}}' "$RUN_ID-metrics")
postgres_cpu_seconds() {
    # utime + stime of every postgres process, in clock ticks.
    local total=0 pid
    for pid in $(pgrep -u "${PG_TEST_USER:-$(id -un)}" postgres || true); do
        total=$(( total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0) ))
    done
    python3 -c "print($total / $(getconf CLK_TCK))"
}
stored_total() {
    curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^metrics_events_stored_total/ { s += $2 } END { print s + 0 }'
}

echo "--- workflow 3 at ${multiplier}x for $duration"
mkdir -p "$out_dir"
cpu_before=$(cpu_usage_seconds "$CID")
throttle_before=$(cpu_throttling "$CID")
pg_before=$(postgres_cpu_seconds)
stored_before=$(stored_total)
started=$(date +%s.%N)
( while sleep 5; do memory_now_mib "$CID"; done >"$WORK/memory.samples" ) &
SAMPLER=$!
status=0
"$LOADTEST" run loadtest/workflows/workflow3.toml \
    --multiplier "$multiplier" --duration "$duration" \
    --target "metrics=http://127.0.0.1:$HTTP_PORT" \
    --report-dir "$out_dir" --report-name "$NAME" --progress never || status=$?
elapsed=$(python3 -c "import time; print(time.time() - $started)")
kill "$SAMPLER" 2>/dev/null || true
SAMPLER=""
sleep 6 # one flush interval (5 s) more, so the last events are stored and counted
cpu_after=$(cpu_usage_seconds "$CID")
throttle_after=$(cpu_throttling "$CID")
pg_after=$(postgres_cpu_seconds)
stored_after=$(stored_total)
memory_peak=$(memory_peak_mib "$CID")
memory_mean=$(awk '{ s += $1; n++ } END { if (n) printf "%.0f", s / n; else print "nan" }' "$WORK/memory.samples")
db_bytes=$(psql "$DB" -Atc "select pg_database_size(current_database())")
db_rows=$(psql "$DB" -Atc "select coalesce(sum(c.reltuples), 0)::bigint from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent where p.relname = 'metrics_events'")
dropped=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^metrics_(events|messages)_dropped_total/ { s += $2 } END { print s + 0 }')
podman logs "$RUN_ID-metrics" 2>&1 | grep -c '"level":"ERROR"' >"$WORK/errors" || true

figures=$(python3 - "$elapsed" "$cpu_before" "$cpu_after" "$pg_before" "$pg_after" "$stored_before" "$stored_after" \
    "$memory_peak" "$memory_mean" "$db_bytes" "$db_rows" "$cpus" "$memory" "$dropped" "$(cat "$WORK/errors")" \
    "$throttle_before" "$throttle_after" <<'PY'
import sys
(elapsed, cpu0, cpu1, pg0, pg1, st0, st1, peak, mean, db_bytes, rows, cpus, memory, dropped, errors,
 throttle0, throttle1) = sys.argv[1:]
periods, throttled = (int(b) - int(a) for a, b in zip(throttle0.split(), throttle1.split()))
elapsed = float(elapsed)
cpu = (float(cpu1) - float(cpu0)) / elapsed
pg = (float(pg1) - float(pg0)) / elapsed
stored = float(st1) - float(st0)
print(f"| metrics container | {cpus} vCPU, {memory} MiB (the Fargate task); new-key admission sized for the run's keys |")
print(f"| metrics CPU | {cpu:.2f} vCPU on average ({cpu / float(cpus) * 100:.0f} % of its limit) |")
print(f"| metrics CPU quota exhausted | in {throttled:,} of {periods:,} CFS periods of 100 ms ({throttled / max(periods, 1) * 100:.0f} %): requests arriving then wait for the next period |")
print(f"| metrics memory | peak {peak} MiB, mean {mean} MiB (sampled every 5 s) |")
print(f"| PostgreSQL CPU | {pg:.2f} vCPU on average (host processes, not limited) |")
print(f"| events stored during the run | {stored:,.0f} ({stored / elapsed:,.0f} rows/s) |")
print(f"| events dropped or refused by metrics | {float(dropped):,.0f}; ERROR log lines: {errors} |")
print(f"| database size after the run | {int(db_bytes) / 2**30:.2f} GiB, {int(rows):,} event rows (planner estimate) |")
PY
)
{
    printf '\n## Stack (scripts/loadtest-workflow3.sh)\n\n'
    printf 'metrics from its image (`%s`) in one container with the Fargate task'"'"'s limits; PostgreSQL %s on loopback as the hosted database; loadtest on the host. All share this 2-core machine.\n\n' "$IMAGE" "$("$PG_BIN/postgres" --version | awk '{print $3}')"
    printf '| what | figure |\n|---|---|\n'
    printf '| seeded history (`--seed %s`) | %s; %s in %s s in all |\n' "$seed_scope" "$seed_summary" "$seed_writers" "$seed_seconds"
    echo "$figures"
} >>"$out_dir/$NAME.md"
echo "$figures"
echo "report: $out_dir/$NAME.md (loadtest exit code $status: 0 pass, 2 an SLA threshold failed)"
exit "$status"

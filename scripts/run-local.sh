#!/usr/bin/env bash
# Builds the release binaries, starts `hardware` (embedded SQLite, created and seeded on first
# run) and `portal` on loopback, prints the dashboard URL, and stops both on Ctrl-C / SIGTERM.
set -euo pipefail

usage() {
    cat <<'USAGE'
Usage: scripts/run-local.sh [OPTIONS]

Starts the hardware service and the portal on this machine and prints the dashboard URL.
Ctrl-C (or SIGTERM) stops both. Logs go to files in the data directory.

Options:
  --data-dir DIR       where hardware.db and the logs live (default: ./.tmp/run-local)
  --portal-port PORT   dashboard port on 127.0.0.1 (default: 5000)
  --hardware-port PORT hardware service port on 127.0.0.1 (default: 5001)
  --fake               instant random availability instead of the real 5 s computation per
                       profile (handy for demos; the real one fills the table over minutes)
  --no-build           use the binaries already built (skip `cargo build --release`)
  -h, --help           show this help

Environment: every service flag can also be set by its variable, e.g. COMPUTE_WORKERS,
REFRESH_INTERVAL, SYNC_INTERVAL, LOG_FORMAT (see docs/portal.md and `hardware --help`).
CARGO_TARGET_DIR picks the build directory (default: ~/.cache/hwdash-target, as scripts/test.sh).
USAGE
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/bench.sh
source "$ROOT/scripts/lib/bench.sh"
data_dir="$ROOT/.tmp/run-local"
portal_port=5000
hardware_port=5001
build=1
fake=0

while [ $# -gt 0 ]; do
    case "$1" in
        --data-dir) data_dir=${2:?--data-dir needs a directory}; shift 2 ;;
        --portal-port) portal_port=${2:?--portal-port needs a port}; shift 2 ;;
        --hardware-port) hardware_port=${2:?--hardware-port needs a port}; shift 2 ;;
        --fake) fake=1; shift ;;
        --no-build) build=0; shift ;;
        -h|--help) usage; exit 0 ;;
        *) unknown_option "$1" ;;
    esac
done
for port in "$portal_port" "$hardware_port"; do
    [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] \
        || usage_error "'$port' is not a port number (1-65535)"
done

bin="$CARGO_TARGET_DIR/release"
if [ "$build" = 1 ]; then
    echo "building release binaries (the first build takes a few minutes)..."
    (cd "$ROOT" && cargo build --release --locked -p hardware -p portal --bins)
fi
for binary in hardware portal; do
    [ -x "$bin/$binary" ] || { echo "error: $bin/$binary is missing; run without --no-build" >&2; exit 1; }
done

mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)

pids=()
stop() {
    trap - INT TERM EXIT
    if [ ${#pids[@]} -gt 0 ]; then
        echo
        echo "stopping portal and hardware..."
        kill -TERM "${pids[@]}" 2>/dev/null || true
        wait "${pids[@]}" 2>/dev/null || true
    fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

hardware_args=(--bind "127.0.0.1:$hardware_port" --database "$data_dir/hardware.db")
[ "$fake" = 1 ] && hardware_args+=(--availability-source fake)
"$bin/hardware" "${hardware_args[@]}" >>"$data_dir/hardware.log" 2>&1 &
pids+=($!)
"$bin/portal" --bind "127.0.0.1:$portal_port" --hardware-url "http://127.0.0.1:$hardware_port" \
    >>"$data_dir/portal.log" 2>&1 &
pids+=($!)

# `portal healthcheck` doubles as a dependency-free HTTP probe (no curl needed).
for _ in $(seq 1 100); do
    if "$bin/portal" healthcheck --url "http://127.0.0.1:$portal_port/readyz" 2>/dev/null; then
        break
    fi
    for pid in "${pids[@]}"; do
        kill -0 "$pid" 2>/dev/null || {
            echo "error: a service exited during start-up; last log lines:" >&2
            tail -n 20 "$data_dir/hardware.log" "$data_dir/portal.log" >&2
            exit 1
        }
    done
    sleep 0.2
done

cat <<EOF_INFO

  Dashboard:        http://127.0.0.1:$portal_port/
  Hardware API:     http://127.0.0.1:$hardware_port/hardware/
  Database:         $data_dir/hardware.db
  Logs:             $data_dir/portal.log, $data_dir/hardware.log

Press Ctrl-C to stop both.
EOF_INFO

# Runs until Ctrl-C, or until one service exits on its own (then the other is stopped too).
set +e
wait -n "${pids[@]}"
status=$?
echo "a service exited (status $status); see the logs in $data_dir" >&2
exit "$status"

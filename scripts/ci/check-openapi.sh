#!/usr/bin/env bash
# Fuzzing from the contract (docs/reliability.md): starts the real `hardware` and `metrics`
# binaries (debug builds, temporary SQLite files, loopback ports) and runs schemathesis against
# the OpenAPI document each serves at /openapi.json. Every operation gets the document's
# examples, schemathesis' coverage cases (boundaries, each constraint broken in turn) and
# $OPENAPI_MAX_EXAMPLES generated cases, positive and negative; every check is on (what is
# switched off where, and why: scripts/ci/schemathesis/*.toml). Any 5xx, any status, header,
# content type or body the document does not allow, fails the run.
#
#   scripts/ci/check-openapi.sh                      the bounded run (~25 s here, built)
#   OPENAPI_MAX_EXAMPLES=300 OPENAPI_SEED=7 scripts/ci/check-openapi.sh   a longer or other one
#
# The seed is fixed so a run is reproducible and a failure is the same on every machine; set
# OPENAPI_SEED to explore others. Every step is bounded: pip 300 s (first run only), each
# service's start 30 s, each schemathesis run $OPENAPI_RUN_SECONDS (60 s).
set -euo pipefail
cd "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
ROOT=$(pwd)
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh

SCHEMATHESIS_VERSION=4.32.5
VENV="${SCHEMATHESIS_VENV:-$HOME/.cache/hwdash-venv-schemathesis}"
MAX_EXAMPLES="${OPENAPI_MAX_EXAMPLES:-100}"
SEED="${OPENAPI_SEED:-20261204}"
# The longest one service's schemathesis run may take.
RUN_SECONDS="${OPENAPI_RUN_SECONDS:-60}"

# schemathesis, pinned, in its own virtualenv (reused while it holds that version).
if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    rm -rf "$VENV"
    # Debian's own python3 needs python3-venv for this; others carry it.
    python3 -m venv "$VENV" || { apt_install python3-venv && python3 -m venv "$VENV"; }
    timeout 300 "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION"
    [ "$("$VENV/bin/schemathesis" --version)" = "schemathesis, version $SCHEMATHESIS_VERSION" ] || {
        echo "error: schemathesis $SCHEMATHESIS_VERSION is not in $VENV after pip install" >&2
        exit 1
    }
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hwdash-target}"
cargo build --locked -q -p hardware -p metrics
BIN="$CARGO_TARGET_DIR/debug"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/check-openapi.XXXXXX")
PIDS=()
cleanup() {
    local pid
    # SIGINT: a Ctrl-C stop skips the 5 s drain a SIGTERM gets.
    for pid in "${PIDS[@]:-}"; do
        [ -n "$pid" ] && kill -INT "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 143" INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL SECONDS : until URL answers 200.
wait_http() {
    local deadline=$(( $(date +%s) + $2 ))
    until curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null; do
        [ "$(date +%s)" -lt "$deadline" ] || { echo "error: $1 never answered" >&2; return 1; }
        sleep 0.05
    done
}

# hardware on a fresh SQLite file: the migrations seed the catalog (78 profiles), the fake
# source computes each in 5 ms, so values and histories exist before the run starts.
HW_PORT=$(free_port)
"$BIN/hardware" --bind "127.0.0.1:$HW_PORT" --database "$WORK/hardware.db" \
    --availability-source fake --fake-compute-ms 5 >"$WORK/hardware.log" 2>&1 &
PIDS+=("$!")

# metrics with every role, flushing every 200 ms, so what the run ingests is queried soon.
MX_PORT=$(free_port)
"$BIN/metrics" --bind "127.0.0.1:$MX_PORT" --udp "127.0.0.1:$(free_port)" \
    --database "$WORK/metrics.db" --flush-interval 200ms >"$WORK/metrics.log" 2>&1 &
PIDS+=("$!")

wait_http "http://127.0.0.1:$HW_PORT/readyz" 30
wait_http "http://127.0.0.1:$MX_PORT/readyz" 30

# Data behind the documents' examples: the aggregate example (portal-web1-42, 2026-11-22,
# hour 14) and more events for the key than one page, so `next` and `Link` are exercised.
python3 - "$MX_PORT" <<'PY'
import json, sys, urllib.request
port = sys.argv[1]
batch = [{"key": "portal-web1-42", "value": 1.5 + i, "at": "2026-11-22T14:30:00Z"} for i in range(60)]
batch += [{"key": f"p1.c2.e{i}", "value": 2.0} for i in range(5)]
request = urllib.request.Request(f"http://127.0.0.1:{port}/ingest", data=json.dumps(batch).encode(),
                                 headers={"Content-Type": "application/json"})
print("metrics: seeded", json.load(urllib.request.urlopen(request))["accepted"], "messages")
PY
# Computed values in hardware (78 profiles, 5 ms each) and the seeded data flushed in metrics.
sleep 1

FAILED=()
SUMMARY=()
run() { # run NAME PORT
    local name=$1 port=$2 status=0 started
    started=$(date +%s)
    echo
    echo "==> schemathesis against $name (http://127.0.0.1:$port/openapi.json)," \
        "$MAX_EXAMPLES generated cases per operation, seed $SEED"
    # In the work directory: schemathesis keeps a .schemathesis/ folder where it runs. One
    # worker: with two, hypothesis' use of the ast module races under Python 3.11
    # ("SystemError: AST constructor recursion depth mismatch") and the run errors out.
    (cd "$WORK" && timeout --kill-after=5 "$RUN_SECONDS" "$VENV/bin/schemathesis" \
        --config-file "$ROOT/scripts/ci/schemathesis/$name.toml" --no-color \
        run "http://127.0.0.1:$port/openapi.json" \
        --max-examples "$MAX_EXAMPLES" --seed "$SEED" \
        --workers 1 --request-timeout 10 --generation-database none) \
        2>&1 | tee "$WORK/$name.out" || status=${PIPESTATUS[0]}
    [ $status -eq 124 ] && echo "error: schemathesis against $name took more than $RUN_SECONDS s" >&2
    # Nothing the fuzzing sent may have made the service log an error or panic (a failed
    # flush, say, is no response at all).
    if grep -E '\b(ERROR|panicked)\b' "$WORK/$name.log" >/dev/null; then
        echo "error: $name logged errors during the run:" >&2
        grep -E '\b(ERROR|panicked)\b' "$WORK/$name.log" | head -10 >&2
        status=1
    fi
    if [ $status -ne 0 ]; then
        FAILED+=("$name")
        echo "--- last lines of $name's log:"
        tail -20 "$WORK/$name.log"
    fi
    SUMMARY+=("$(python3 - "$name" "$WORK/$name.out" "$(( $(date +%s) - started ))" "$status" <<'PY'
import re, sys
name, path, seconds, status = sys.argv[1:]
text = open(path, errors="replace").read()
operations = re.search(r"Tested: (\d+)", text)
cases = re.search(r"Test cases:\s*\n\s*(\d+) generated", text)
failures = re.search(r"(\d+) found (\d+) unique failures?", text)
print(f"{name}: {operations.group(1) if operations else '?'} operations, "
      f"{cases.group(1) if cases else '?'} cases, "
      f"{failures.group(2) if failures else 0} failures, {seconds} s, "
      f"{'ok' if status == '0' else 'FAILED'}")
PY
)")
}

run hardware "$HW_PORT"
run metrics "$MX_PORT"

echo
printf '%s\n' "${SUMMARY[@]}"
if [ ${#FAILED[@]} -gt 0 ]; then
    echo "error: the OpenAPI contract check failed for: ${FAILED[*]}" >&2
    exit 1
fi
echo "openapi: hardware and metrics answer as their documents say"

# What the benchmark scripts (scripts/bench-*.sh) and scripts/run-local.sh share: option and
# tool checks with one wording, loopback ports, bounded waits, stopping what a script started,
# and a scratch PostgreSQL server. Sourced after ROOT is set; defines functions only (and the
# default CARGO_TARGET_DIR, the cache every script and helper builds into).

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hwdash-target}"

# usage_error MESSAGE: a bad option or value; exit status 2, as for an unknown option.
usage_error() {
    echo "error: $*" >&2
    exit 2
}

# unknown_option OPTION: the catch-all arm of an option loop.
unknown_option() {
    usage_error "unknown option '$1' (see --help)"
}

# require_positive VALUE...: each is a whole number above zero.
require_positive() {
    local value
    for value in "$@"; do
        [[ "$value" =~ ^[1-9][0-9]*$ ]] || usage_error "'$value' is not a positive whole number"
    done
}

# require_tools HINT TOOL...: every TOOL is on PATH; else exit 1 naming it, with HINT (where to
# get it) when HINT is not empty.
require_tools() {
    local hint=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null \
            || { echo "error: $tool is missing${hint:+ ($hint)}" >&2; exit 1; }
    done
}

# free_port / free_udp_port: a port on 127.0.0.1 that nothing listens on right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
free_udp_port() {
    python3 -c 'import socket; s=socket.socket(type=socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_http URL [SECONDS]: wait (60 s by default) until URL answers 200.
wait_http() {
    local tries=$((${2:-60} * 10))
    for _ in $(seq 1 "$tries"); do
        curl -sf -o /dev/null "$1" && return 0
        sleep 0.1
    done
    echo "error: $1 did not answer within ${2:-60} s" >&2
    return 1
}

# stop_pids: TERM every process in the caller's `pids` array, wait for them, empty it.
stop_pids() {
    [ ${#pids[@]} -gt 0 ] && kill -TERM "${pids[@]}" 2>/dev/null || true
    wait 2>/dev/null || true
    pids=()
}

# as_pg COMMAND...: runs COMMAND as the PostgreSQL test user when root (PostgreSQL refuses to
# run as root); needs PG_TEST_USER from scripts/ci/setup-postgres.sh.
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$PG_TEST_USER" -- "$@"; else "$@"; fi
}

# pg_scratch_start DIR [SETTING...]: a fresh PostgreSQL cluster in DIR/data on a free loopback
# port, socket in DIR, extra `-c` SETTINGs (e.g. fsync=off); sets pg_port and pg_url.
pg_scratch_start() {
    local dir=$1 options setting
    shift
    rm -rf "$dir/data"
    [ "$(id -u)" = 0 ] && chown "$PG_TEST_USER:" "$dir"
    (cd "$dir" && as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --no-sync >/dev/null)
    pg_port=$(free_port)
    options="-p $pg_port -k $dir -c listen_addresses=127.0.0.1"
    for setting in "$@"; do options+=" -c $setting"; done
    (cd "$dir" && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "$options" start >/dev/null)
    pg_url="postgres://postgres@127.0.0.1:$pg_port/postgres"
}

# pg_scratch_stop DIR: stops the cluster pg_scratch_start made there, if it runs.
pg_scratch_stop() {
    if [ -f "$1/data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
}

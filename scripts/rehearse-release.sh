#!/usr/bin/env bash
# Rehearses a blue/green release the way ECS + the ALB do it, on loopback, with real parts:
# the project's container images (podman), one real PostgreSQL (host binaries from $PG_BIN),
# HAProxy as the load balancer, configured like the ALB (a production and a test frontend, each
# forwarding to blue or green; active health checks on /readyz; deregistration = drain), and a
# constant-rate load from the project's `loadtest`.
#
# Traffic moves through HAProxy's runtime API (the admin socket: `set server ... state`), not a
# reload: like the ALB changing listener-rule weights, nothing restarts and no connection is
# cut. (An nginx reload replaces its workers, and requests in flight on the old workers' idle
# upstream connections failed with I/O errors at every switch.)
#
# Steps: start N (blue) -> load "before" -> start N+1 (green) -> readiness + smoke check on the
# test port -> shift production under load "during" -> drain and SIGTERM blue -> bake under
# load "after". Prints requests, errors, responses over 1 s and p99 per phase and
# the time each step took. Every wait is bounded; everything is removed on exit.
set -euo pipefail

usage() {
    cat <<'HELP'
Usage: scripts/rehearse-release.sh [OPTIONS]

Rehearse a blue/green release of portal+hardware under constant load, on loopback.

Options:
  --rate N              requests per second through the production port (default 2000)
  --phase-seconds S     load duration of each phase: before, during, after (default 15)
  --fail-smoke          green is started broken (portal cannot reach hardware): its smoke check fails and
                        production traffic must never reach it
  --rollback-during-bake
                        after the shift, roll production back to blue during the bake
                        (blue is kept until the bake ends, as CodeDeploy keeps the old set)
  --base-ref REF        build version N (blue) from the git commit, tag or branch REF and N+1
                        (green) from the working tree: two builds, and N+1's new migrations run
                        on the database N is using (see "Versions" below)
  --no-build            use the images already tagged localhost/hwdash-*:rehearse-n and
                        :rehearse-n1 by an earlier run
  -h, --help            this text

Versions: with --base-ref, N is REF's build (its source exported with `git archive` into
~/.cache/hwdash-rehearse-base, built with its own target directory, seeded from the working
tree's so only the project's crates compile) and N+1 the working tree's. N+1 applies its new
migrations when green starts; the rehearsal then checks that N keeps serving and computing on
that schema, and that a fresh N task starts on it (as a scale-out or a rollback would). Without
--base-ref, N and N+1 are the same build told apart by RELEASE_VERSION.
Exit code 0 when every phase has 0 errors and 0 responses over 1 s and N runs on N+1's schema.
HELP
}

RATE=2000 PHASE=15 FAIL_SMOKE=0 ROLLBACK=0 BUILD=1 BASE_REF=""
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) RATE=$2; shift 2 ;;
        --phase-seconds) PHASE=$2; shift 2 ;;
        --fail-smoke) FAIL_SMOKE=1; shift ;;
        --rollback-during-bake) ROLLBACK=1; shift ;;
        --no-build) BUILD=0; shift ;;
        --base-ref) [ $# -ge 2 ] || { echo "error: --base-ref needs a git ref" >&2; exit 64; }; BASE_REF=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "error: unknown option '$1' (see --help)" >&2; exit 64 ;;
    esac
done
[[ "$RATE" =~ ^[0-9]+$ && "$RATE" -gt 0 ]] || { echo "error: --rate '$RATE' is not a positive integer" >&2; exit 64; }
[[ "$PHASE" =~ ^[0-9]+$ && "$PHASE" -gt 0 ]] || { echo "error: --phase-seconds '$PHASE' is not a positive integer" >&2; exit 64; }

cd "$(dirname "$0")/.."
ROOT=$(pwd)
export ROOT
BASE_SHA=""
if [ -n "$BASE_REF" ]; then
    BASE_SHA=$(git rev-parse --quiet --verify "$BASE_REF^{commit}") || {
        echo "error: --base-ref '$BASE_REF' is not a commit of this repository (a shallow clone lacks old commits: git fetch --unshallow)" >&2
        exit 64
    }
fi
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh
apt_install haproxy podman runc ca-certificates postgresql-client
ci_setup postgres
use_containers_conf

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hwdash-target}"
TARGET=x86_64-unknown-linux-gnu
TAG_N=rehearse-n TAG_N1=rehearse-n1
RUN_ID="hwdash-rehearse-$$"
WORK=$(mktemp -d -t hwdash-rehearse.XXXXXX)
chmod 0755 "$WORK"
declare -a STEP_NAMES=() STEP_SECS=() PHASE_LINES=()
FAILED=0

podman_() { podman "$@" 2> >(grep -v "unable to get systemd connection" >&2); }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
step_done() { STEP_NAMES+=("$1"); STEP_SECS+=("$(python3 -c "print(f'{$(now) - $2:.1f}')")"); }

cleanup() {
    for c in blue green; do podman rm -f -t 0 "$RUN_ID-$c-portal" "$RUN_ID-$c-hardware" >/dev/null 2>&1 || true; done
    podman rm -f -t 0 "$RUN_ID-n-scaleout-hardware" >/dev/null 2>&1 || true
    [ -f "$WORK/haproxy.pid" ] && kill "$(cat "$WORK/haproxy.pid")" 2>/dev/null || true
    [ -d "$WORK/pg" ] && runuser_ "$PG_BIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
trap "exit 143" INT TERM # so the EXIT trap also cleans up after a timeout
runuser_() { if [ "$(id -u)" = 0 ]; then runuser -u "$PG_TEST_USER" -- "$@"; else "$@"; fi; }

fail() { echo "rehearse: FAILED: $*" >&2; exit 1; }
wait_for() {
    local what=$1 seconds=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

# build_images SOURCE TARGET_DIR TAG REVISION: static release binaries of SOURCE's services,
# and the portal and hardware images from them, tagged TAG and labelled with REVISION (what
# --no-build checks the images against).
build_images() {
    local source=$1 target_dir=$2 tag=$3 revision=$4 ctx="$WORK/ctx-$3"
    # The same packages and flags as scripts/ci/check-images.sh, so one build serves both (a
    # different package set unifies dependency features differently and rebuilds them).
    (cd "$source" && CARGO_TARGET_DIR="$target_dir" RUSTFLAGS='-C target-feature=+crt-static' \
        cargo build --release --locked --target "$TARGET" -p portal -p hardware -p metrics) || fail "cargo build of $source"
    mkdir -p "$ctx/prebuilt" "$ctx/infra/docker"
    cp "$target_dir/$TARGET/release/portal" "$target_dir/$TARGET/release/hardware" \
        "$target_dir/$TARGET/release/metrics" \
        /etc/ssl/certs/ca-certificates.crt "$ctx/prebuilt/"
    cp -r "$source/infra/docker/rootfs" "$source/infra/docker/writable" "$ctx/infra/docker/"
    for s in hardware portal; do
        podman build --quiet --format docker -f "$source/infra/docker/Dockerfile" --build-arg BINARY_FROM=prebuilt \
            --label "$REVISION_LABEL=$revision" --target "$s" -t "localhost/hwdash-$s:$tag" "$ctx" >/dev/null || fail "podman build of $s ($tag)"
    done
}

# base_source: REF's tree at a fixed path (a stable path keeps its build fresh between runs),
# exported again only when the commit changes.
BASE_CACHE="$HOME/.cache/hwdash-rehearse-base"
base_source() {
    if [ "$(cat "$BASE_CACHE/src.commit" 2>/dev/null)" != "$BASE_SHA" ]; then
        rm -rf "$BASE_CACHE/src" && mkdir -p "$BASE_CACHE/src"
        # -m: the files get the time of extraction, not the commit's. Cargo rebuilds what is
        # older than its sources; with the commit's (older) times, artifacts seeded from the
        # working tree would pass for REF's build.
        git archive "$BASE_SHA" | tar -x -m -C "$BASE_CACHE/src" || fail "git archive $BASE_SHA"
        echo "$BASE_SHA" >"$BASE_CACHE/src.commit"
    fi
    # Its own target directory: cargo names a workspace crate's artifacts after its path inside
    # the workspace, so two trees sharing one would overwrite each other's and rebuild every
    # time. Seeded from the working tree's, the dependencies that did not change are built.
    if [ ! -d "$BASE_CACHE/target" ] && [ -d "$CARGO_TARGET_DIR/$TARGET/release" ]; then
        mkdir -p "$BASE_CACHE/target/$TARGET"
        cp -a "$CARGO_TARGET_DIR/$TARGET/release" "$BASE_CACHE/target/$TARGET/"
        [ -d "$CARGO_TARGET_DIR/release" ] && cp -a "$CARGO_TARGET_DIR/release" "$BASE_CACHE/target/"
    fi
}

REVISION_LABEL=org.opencontainers.image.revision
WORKING_REVISION="working-tree@$(git rev-parse HEAD)"
t=$(now)
if [ "$BUILD" = 1 ]; then
    echo "--- static binaries and images: N+1 (working tree)"
    build_images "$ROOT" "$CARGO_TARGET_DIR" "$TAG_N1" "$WORKING_REVISION"
    if [ -n "$BASE_SHA" ]; then
        echo "--- static binaries and images: N ($BASE_REF = ${BASE_SHA:0:12})"
        base_source
        build_images "$BASE_CACHE/src" "$BASE_CACHE/target" "$TAG_N" "$BASE_SHA"
    else
        for s in hardware portal; do podman tag "localhost/hwdash-$s:$TAG_N1" "localhost/hwdash-$s:$TAG_N"; done
    fi
fi
for tag in "$TAG_N" "$TAG_N1"; do
    for s in hardware portal; do
        podman image exists "localhost/hwdash-$s:$tag" || fail "no image localhost/hwdash-$s:$tag (run without --no-build)"
    done
done
# With --no-build, the N images must be REF's build, not an earlier run's working tree.
N_REVISION=$(podman image inspect --format "{{index .Labels \"$REVISION_LABEL\"}}" "localhost/hwdash-hardware:$TAG_N")
if [ -n "$BASE_SHA" ] && [ "$N_REVISION" != "$BASE_SHA" ]; then
    fail "the N images were built from '$N_REVISION', not $BASE_REF (${BASE_SHA:0:12}): run without --no-build"
fi
cargo build --quiet --locked -p loadtest
LOADTEST="$CARGO_TARGET_DIR/debug/loadtest"
step_done "build images + loadtest" "$t"

echo "--- PostgreSQL"
t=$(now)
PG_PORT=$(free_port)
mkdir -p "$WORK/pg" && chown "$PG_TEST_USER" "$WORK/pg" 2>/dev/null || true
runuser_ "$PG_BIN/initdb" -D "$WORK/pg" -A trust -U hwdash >/dev/null
runuser_ "$PG_BIN/pg_ctl" -D "$WORK/pg" -w -t 30 -l "$WORK/pg/log" \
    -o "-h 127.0.0.1 -p $PG_PORT -k $WORK/pg -c max_connections=200" start >/dev/null || fail "postgres start"
DB="postgres://hwdash:hwdash@127.0.0.1:$PG_PORT/postgres"
step_done "start PostgreSQL" "$t"

# Each color's ports are chosen up front, so the load balancer knows both targets from the
# start (as the ALB knows both target groups); green's are in maintenance until it exists.
BLUE_HW=$(free_port); BLUE_PORTAL=$(free_port); GREEN_HW=$(free_port); GREEN_PORTAL=$(free_port)

# image SERVICE VERSION: the image of VERSION (N or N+1).
image() { if [ "$2" = N ]; then echo "localhost/hwdash-$1:$TAG_N"; else echo "localhost/hwdash-$1:$TAG_N1"; fi; }

# start_hardware NAME PORT VERSION DATABASE [REFRESH_SECONDS]: one hardware task on a host-network loopback port.
# Both colors refresh every 5 s, so N and N+1 both compute and persist on the one database
# during the switch (claims in the database keep them from computing a profile twice).
start_hardware() {
    podman_ run -d --name "$RUN_ID-$1-hardware" --network host --read-only \
        -e HARDWARE_BIND="127.0.0.1:$2" -e DATABASE_URL="$4" -e RELEASE_VERSION="$3" \
        -e AVAILABILITY_SOURCE=fake -e FAKE_COMPUTE_MS=1 -e REFRESH_INTERVAL="${5:-5}" -e LOG_FORMAT=json \
        "$(image hardware "$3")" >/dev/null
}

# start_color COLOR VERSION DATABASE [HARDWARE_URL]: hardware + portal of one color.
start_color() {
    local c=$1 v=$2 db=$3 hp pp hw_url
    hw_url=${4:-}
    hp=${c^^}_HW; hp=${!hp}; pp=${c^^}_PORTAL; pp=${!pp}
    start_hardware "$c" "$hp" "$v" "$db"
    podman_ run -d --name "$RUN_ID-$c-portal" --network host --read-only \
        -e PORTAL_BIND="127.0.0.1:$pp" -e HARDWARE_URL="${hw_url:-http://127.0.0.1:$hp}" -e RELEASE_VERSION="$v" \
        -e PORTAL_HEALTHCHECK_URL="http://127.0.0.1:$pp/healthz" \
        "$(image portal "$v")" >/dev/null
}

PROD_PORT=$(free_port); TEST_PORT=$(free_port)
# The ALB's two listeners as two frontends; each has a portal and a hardware backend holding
# both colors. Health checks as the target groups do them (GET /readyz, every 500 ms here).
start_haproxy() {
    {
        echo "global"
        # Enough for the load generator's connections, within the descriptor limit (2 per connection).
        echo "  maxconn 4096"
        echo "  pidfile $WORK/haproxy.pid"
        echo "  stats socket $WORK/haproxy.sock mode 600 level admin"
        echo "defaults"
        echo "  mode http"
        echo "  timeout connect 2s"
        echo "  timeout client 30s"
        echo "  timeout server 10s"
        echo "  timeout http-keep-alive 60s"
        # A connection refused by a target that is going away is retried on another one.
        echo "  retries 2"
        echo "  option redispatch"
        echo "  retry-on conn-failure empty-response"
        for listener in prod test; do
            local port=PROD_PORT; [ "$listener" = test ] && port=TEST_PORT
            echo "frontend $listener"
            echo "  bind 127.0.0.1:${!port}"
            echo "  use_backend hardware_$listener if { path_beg /hardware/ }"
            echo "  default_backend portal_$listener"
            for service in portal hardware; do
                echo "backend ${service}_$listener"
                echo "  option httpchk GET /readyz"
                for c in blue green; do
                    local target=${c^^}_PORTAL; [ "$service" = hardware ] && target=${c^^}_HW
                    local initial=""; [ "$c" = green ] && initial=" disabled"
                    echo "  server $c 127.0.0.1:${!target} check inter 500 fall 2 rise 1$initial"
                done
            done
        done
    } >"$WORK/haproxy.cfg"
    /usr/sbin/haproxy -D -f "$WORK/haproxy.cfg" || fail "haproxy did not start"
}

# HAProxy's runtime API (the admin socket).
lb() {
    python3 - "$WORK/haproxy.sock" "$*" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + "\n").encode())
out = b""
while chunk := s.recv(65536):
    out += chunk
sys.stdout.write(out.decode())
PY
}

# route LISTENER COLOR: the listener's portal and hardware backends send new requests to COLOR
# only; the other color drains (requests in flight finish, none start), as a target group
# deregisters a target.
route() {
    local listener=$1 to=$2 other=blue
    [ "$to" = blue ] && other=green
    for service in portal hardware; do
        lb "set server ${service}_$listener/$to state ready" >/dev/null
    done
    # The new color takes traffic only once its health check passed.
    wait_for "$to up in $listener" 15 serving "$listener" "$to" || { echo "$to never passed its health check on $listener" >&2; return 1; }
    for service in portal hardware; do
        lb "set server ${service}_$listener/$other state drain" >/dev/null
    done
}

# serving LISTENER COLOR: both of the listener's backends report COLOR UP.
serving() {
    local stat
    stat=$(lb "show stat") || return 1
    for service in portal hardware; do
        grep -q "^${service}_$1,$2,.*,UP," <<<"$stat" || return 1
    done
}

# Bodies are captured before grep: `curl | grep -q` fails under pipefail when grep exits first.
shows() { local body; body=$(curl -fsS --max-time "$1" "$2") && grep -q "$3" <<<"$body"; }
ready() { curl -fsS --max-time 1 "http://127.0.0.1:$1/hardware/" >/dev/null && shows 1 "http://127.0.0.1:$2/" c5; }
smoke() { shows 2 "http://127.0.0.1:$TEST_PORT/hardware/" '"c5"' && shows 2 "http://127.0.0.1:$TEST_PORT/" c5; }

cat >"$WORK/load.toml" <<TOML
name = "rehearsal"
description = "constant load through the production port: portal page and hardware list"
duration = "${PHASE}s"
sla = ["max < 1s", "errors = 0"]
[[actor]]
name = "viewer"
target = "prod"
groups = [{ count = 1, members = $((RATE / 2)) }]
schedule = { requests = 1, every = "1s" }
[[actor.step]]
name = "portal page"
method = "GET"
path = "/"
[[actor]]
name = "api"
target = "prod"
groups = [{ count = 1, members = $((RATE - RATE / 2)) }]
schedule = { requests = 1, every = "1s" }
[[actor.step]]
name = "hardware list"
method = "GET"
path = "/hardware/"
TOML

# load PHASE: runs loadtest in the background, JSON to $WORK/PHASE.json.
load_start() {
    "$LOADTEST" run "$WORK/load.toml" --target "prod=http://127.0.0.1:$PROD_PORT" --timeout 5s \
        --connections 256 --progress never --json "$WORK/$1.json" >"$WORK/$1.out" 2>&1 &
    LOAD_PID=$!
}
load_wait() {
    local rc=0; wait "$LOAD_PID" || rc=$?
    [ "$rc" -le 2 ] || { cat "$WORK/$1.out" >&2; fail "loadtest ($1) exit $rc"; }
    PHASE_LINES+=("$(python3 "$ROOT/scripts/rehearsal-figures.py" "$1" "$WORK/$1.json")") || fail "figures of $1"
    grep -q ' errors=0 over1s=0 ' <<<"${PHASE_LINES[-1]} " || FAILED=1
}

# Two versions on one database (expand, then contract): N+1 applies its new migrations when green
# starts; N must keep serving and computing on the expanded schema, and a fresh N task must
# start on it (a scale-out of blue during the release, or a rollback by redeploying N).
declare -a SCHEMA_LINES=()
MIGRATIONS=hardware/src/store/migrations/postgres
N_MIGRATIONS=$(if [ -n "$BASE_SHA" ]; then git ls-tree --name-only "$BASE_SHA" "$MIGRATIONS/"; else ls "$MIGRATIONS"/*.sql; fi | xargs -n1 basename | sort)
N1_MIGRATIONS=$(ls "$MIGRATIONS"/*.sql | xargs -n1 basename | sort)
NEW_MIGRATIONS=$(comm -13 <(echo "$N_MIGRATIONS") <(echo "$N1_MIGRATIONS") | tr '\n' ' ')
NEW_MIGRATIONS=${NEW_MIGRATIONS% }
applied_migrations() { psql "$DB" -Atc "select 'V' || version || '__' || name || '.sql' from hardware_schema_history order by version" 2>/dev/null; }
# metric PORT NAME: a counter from a hardware task's /metrics.
metric() { curl -fsS --max-time 2 "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
computed_some() { [ "$(metric "$1" hardware_computations_total)" -gt 0 ]; }
# logged CONTAINER TEXT: the container's log holds TEXT (captured first, as in shows()).
logged() { local log; log=$(podman logs "$1" 2>&1) && grep -qF "$2" <<<"$log"; }
BLUE_COMPUTED_AT_MIGRATION=0 BLUE_KEPT_COMPUTING=""

schema_check() {
    local applied missing="" extra_hw t
    if [ -z "$NEW_MIGRATIONS" ]; then
        SCHEMA_LINES+=("schema: N and N+1 have the same migrations ($(paste -sd' ' <<<"$N1_MIGRATIONS"))")
        return
    fi
    applied=$(applied_migrations)
    for m in $NEW_MIGRATIONS; do grep -qx "$m" <<<"$applied" || missing+=" $m"; done
    [ -z "$missing" ] || fail "green (N+1) did not apply$missing (applied: $(paste -sd' ' <<<"$applied"))"
    SCHEMA_LINES+=("schema: N knows $(paste -sd' ' <<<"$N_MIGRATIONS"); N+1 applied $NEW_MIGRATIONS")
    BLUE_COMPUTED_AT_MIGRATION=$(metric "$BLUE_HW" hardware_computations_total)

    # A fresh N task on the expanded schema. It refreshes every second, so it claims profiles
    # the others (every 5 s) still count as fresh and must persist them on the new schema.
    echo "--- a fresh N hardware task on N+1's schema"
    t=$(now)
    extra_hw=$(free_port)
    start_hardware n-scaleout "$extra_hw" N "$DB" 1
    wait_for "fresh N ready" 30 shows 1 "http://127.0.0.1:$extra_hw/hardware/" '"c5"' ||
        { podman logs --tail 20 "$RUN_ID-n-scaleout-hardware" >&2; fail "a fresh N task did not start on N+1's schema"; }
    wait_for "fresh N says so" 10 logged "$RUN_ID-n-scaleout-hardware" "only expanded: running on it as it is" ||
        { podman logs --tail 20 "$RUN_ID-n-scaleout-hardware" >&2; fail "the fresh N task did not say it runs on a newer, expanded schema"; }
    wait_for "fresh N computes" 20 computed_some "$extra_hw" ||
        fail "the fresh N task computed nothing in 20 s"
    local computed errors
    computed=$(metric "$extra_hw" hardware_computations_total); errors=$(metric "$extra_hw" hardware_store_errors_total)
    podman_ stop -t 15 "$RUN_ID-n-scaleout-hardware" >/dev/null
    [ "$errors" = 0 ] || fail "the fresh N task had $errors store errors on N+1's schema"
    step_done "fresh N task on N+1's schema (exit $(podman inspect --format '{{.State.ExitCode}}' "$RUN_ID-n-scaleout-hardware"))" "$t"
    SCHEMA_LINES+=("schema: a fresh N task started on it, served, computed $computed results, 0 store errors")
}

# blue_kept_computing: blue (N), running since before the migration, persisted on the expanded
# schema without a store error.
blue_kept_computing() {
    BLUE_KEPT_COMPUTING=checked
    [ -n "$NEW_MIGRATIONS" ] || return 0
    local now_computed errors
    now_computed=$(metric "$BLUE_HW" hardware_computations_total); errors=$(metric "$BLUE_HW" hardware_store_errors_total)
    [ "$errors" = 0 ] || fail "blue (N) had $errors store errors on N+1's schema"
    SCHEMA_LINES+=("schema: blue (N) computed $((now_computed - BLUE_COMPUTED_AT_MIGRATION)) results after the migration, 0 store errors")
}

echo "--- blue (N) up"
t=$(now)
start_color blue N "$DB"
wait_for "blue ready" 60 ready "$BLUE_HW" "$BLUE_PORTAL" || fail "blue not ready in 60 s"
start_haproxy
wait_for "blue up in prod" 15 serving prod blue || fail "blue never passed HAProxy's health check"
step_done "blue start + ready" "$t"

echo "--- load before ($RATE req/s for ${PHASE}s)"
load_start before; load_wait before

echo "--- green (N+1) up, smoke on test port, under load"
load_start during
t=$(now)
# A broken green: its portal points at a closed port, so its page never shows hardware's data.
GREEN_HW_URL=""; [ "$FAIL_SMOKE" = 1 ] && GREEN_HW_URL="http://127.0.0.1:1"
start_color green N+1 "$DB" "$GREEN_HW_URL"
# The test listener moves to green as soon as it is healthy; a green that never is stays out.
if wait_for "green ready" 30 ready "$GREEN_HW" "$GREEN_PORTAL" && route test green && wait_for "green smoke" 30 smoke; then
    step_done "green start + smoke on test port" "$t"
    t=$(now); route prod green || fail "production shift"; step_done "shift production to green" "$t"
    SHIFTED=1
else
    step_done "green start + smoke FAILED (bounded)" "$t"
    echo "green failed its smoke check: production stays on blue"
    SHIFTED=0
fi
load_wait during
schema_check

if [ "$SHIFTED" = 1 ] && [ "$ROLLBACK" = 0 ]; then
    echo "--- drain and SIGTERM blue, bake under load"
    load_start after
    t=$(now)
    sleep 2 # deregistration delay: blue drains, HAProxy already sends new requests to green
    blue_kept_computing
    podman_ stop -t 15 "$RUN_ID-blue-portal" "$RUN_ID-blue-hardware" >/dev/null
    step_done "drain + stop blue (exit $(podman inspect --format '{{.State.ExitCode}}' "$RUN_ID-blue-portal")/$(podman inspect --format '{{.State.ExitCode}}' "$RUN_ID-blue-hardware"))" "$t"
    load_wait after
elif [ "$SHIFTED" = 1 ]; then
    echo "--- bake, then rollback to blue under load"
    load_start after
    sleep $((PHASE / 2))
    t=$(now); { route prod blue && route test blue; } || fail "rollback"; step_done "rollback production to blue" "$t"
    load_wait after
    t=$(now); podman_ stop -t 15 "$RUN_ID-green-portal" "$RUN_ID-green-hardware" >/dev/null; step_done "stop green" "$t"
else
    load_start after; load_wait after
fi

[ "$BLUE_KEPT_COMPUTING" = checked ] || blue_kept_computing

# Requests each color's production backends received (HAProxy's stot, field 8 of `show stat`).
production_requests() {
    lb "show stat" | awk -F, -v c="$1" '($1 == "portal_prod" || $1 == "hardware_prod") && $2 == c { n += $8 } END { print n + 0 }'
}
GREEN_PROD=$(production_requests green); BLUE_PROD=$(production_requests blue)

echo
echo "=== rehearsal: rate=$RATE req/s, phase=${PHASE}s, fail_smoke=$FAIL_SMOKE rollback=$ROLLBACK"
printf '%s\n' "${PHASE_LINES[@]}"
echo "production requests: blue=$BLUE_PROD green=$GREEN_PROD"
printf '%s\n' "${SCHEMA_LINES[@]}"
if [ "$FAIL_SMOKE" = 1 ] && [ "$GREEN_PROD" != 0 ]; then
    FAILED=1; echo "rehearse: a green that failed its smoke check received $GREEN_PROD production requests" >&2
fi
for i in "${!STEP_NAMES[@]}"; do printf 'step %-45s %6ss\n' "${STEP_NAMES[$i]}" "${STEP_SECS[$i]}"; done
[ "$FAILED" = 0 ] || fail "requests failed or took over 1 s (see the phases above)"
SCHEMA_VERDICT=""; [ -n "$NEW_MIGRATIONS" ] && SCHEMA_VERDICT=", N ran on N+1's expanded schema"
echo "rehearsal passed: 0 errors, 0 responses over 1 s$SCHEMA_VERDICT"

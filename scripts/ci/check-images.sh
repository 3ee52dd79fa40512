#!/usr/bin/env bash
# Builds the three container images from infra/docker/Dockerfile with podman and runs them the
# way ECS does:
#   - with a read-only root file system (ECS: readonlyRootFilesystem), hardware's and metrics'
#     SQLite files on writable /data volumes,
#   - hardware, portal and metrics in separate containers on a private podman network; portal
#     reaches hardware by the Service Connect name (hardware.internal, an /etc/hosts entry as on
#     ECS) and sends its response times to metrics by address over UDP (METRICS_UDP, as on ECS
#     to the ingest load balancer's fixed addresses),
#   - each answers /healthz on a loopback port, and the image's own HEALTHCHECK passes (metrics
#     has none: on ECS its load balancer checks /healthz),
#   - the portal page shows data from the hardware container (profile "c5"), and metrics serves
#     the response times portal sent it,
#   - all stop cleanly on SIGTERM (exit 0, well before the kill timeout).
# Then prints the image sizes.
#
# No base image can be pulled here, so the static binaries are built on the host and the
# Dockerfile's `prebuilt` stage takes them (BINARY_FROM=prebuilt); the builder stage is
# skipped. Containers and the network are removed on exit; every wait is bounded.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=scripts/ci/lib.sh
source scripts/ci/lib.sh
ci_setup infra
apt_install ca-certificates # the bundle copied into the images

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/hwdash-target}"
TARGET=x86_64-unknown-linux-gnu
TAG=check
RUN_ID="hwdash-check-$$"
NETWORK="$RUN_ID"
HARDWARE_CTR="$RUN_ID-hardware"
PORTAL_CTR="$RUN_ID-portal"
METRICS_CTR="$RUN_ID-metrics"
CONTEXT="$(mktemp -d -t hwdash-image-context.XXXXXX)"
# hardware's /data, a volume as a task would mount one (podman's --tmpfs ignores mode= here,
# so a root-owned tmpfs would refuse the non-root user).
DATA_DIR="$(mktemp -d -t hwdash-image-data.XXXXXX)"
METRICS_DATA_DIR="$(mktemp -d -t hwdash-image-metrics.XXXXXX)"
chmod 0777 "$DATA_DIR" "$METRICS_DATA_DIR"

fail() {
    echo "check-images: FAILED: $*" >&2
    for ctr in "$HARDWARE_CTR" "$PORTAL_CTR" "$METRICS_CTR"; do
        if podman container exists "$ctr" 2>/dev/null; then
            echo "--- last log lines of $ctr" >&2
            podman logs --tail 30 "$ctr" >&2 2>&1 || true
        fi
    done
    exit 1
}

cleanup() {
    podman rm -f -t 0 "$PORTAL_CTR" "$HARDWARE_CTR" "$METRICS_CTR" >/dev/null 2>&1 || true
    podman network rm -f "$NETWORK" >/dev/null 2>&1 || true
    rm -rf "$CONTEXT" "$DATA_DIR" "$METRICS_DATA_DIR"
}
trap cleanup EXIT

# podman schedules health checks with systemd timers; there is no systemd here, so it logs an
# error per container and the checks run by `podman healthcheck run` instead. Drop that noise.
podman_() { podman "$@" 2> >(grep -v "unable to get systemd connection" >&2); }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for DESCRIPTION SECONDS COMMAND...: retries COMMAND every half second until it succeeds.
wait_for() {
    local what=$1 seconds=$2
    shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$what: not within ${seconds}s"
        sleep 0.5
    done
    echo "ok: $what"
}

echo "--- static binaries (release, crt-static)"
RUSTFLAGS='-C target-feature=+crt-static' \
    cargo build --release --locked --target "$TARGET" -p portal -p hardware -p metrics

echo "--- build context with the prebuilt binaries"
mkdir -p "$CONTEXT/prebuilt" "$CONTEXT/infra/docker"
cp "$CARGO_TARGET_DIR/$TARGET/release/portal" "$CARGO_TARGET_DIR/$TARGET/release/hardware" \
    "$CARGO_TARGET_DIR/$TARGET/release/metrics" /etc/ssl/certs/ca-certificates.crt "$CONTEXT/prebuilt/"
cp -r infra/docker/rootfs infra/docker/writable "$CONTEXT/infra/docker/"

for service in hardware portal metrics; do
    echo "--- podman build --target $service"
    # --format docker keeps HEALTHCHECK (the OCI format has no field for it).
    podman build --quiet --format docker -f infra/docker/Dockerfile \
        --build-arg BINARY_FROM=prebuilt --target "$service" \
        -t "localhost/hwdash-$service:$TAG" "$CONTEXT" >/dev/null \
        || fail "podman build of $service (was the unused builder stage pulled?)"
    user=$(podman image inspect --format '{{.Config.User}}' "localhost/hwdash-$service:$TAG")
    [ "$user" = "10001:10001" ] || fail "$service image runs as '$user', not the non-root 10001:10001"
    [ "$service" = metrics ] && continue # no healthcheck mode; ECS uses its target group's check
    healthcheck=$(podman image inspect --format '{{json .Config.Healthcheck}}' "localhost/hwdash-$service:$TAG")
    grep -q "/usr/local/bin/$service\",\"healthcheck\"" <<<"$healthcheck" \
        || fail "$service image has no HEALTHCHECK using its healthcheck mode: $healthcheck"
done

echo "--- run hardware, metrics and portal on network $NETWORK"
podman network create "$NETWORK" >/dev/null
METRICS_PORT=$(free_port)
# A one-second flush so the check below does not wait the default five.
podman_ run -d --name "$METRICS_CTR" --network "$NETWORK" \
    --read-only -v "$METRICS_DATA_DIR:/data" -e METRICS_FLUSH_INTERVAL=1 \
    -p "127.0.0.1:$METRICS_PORT:8080" \
    "localhost/hwdash-metrics:$TAG" >/dev/null
wait_for "metrics /healthz on 127.0.0.1:$METRICS_PORT" 30 \
    curl -fsS --max-time 2 "http://127.0.0.1:$METRICS_PORT/healthz"
METRICS_IP=$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$METRICS_CTR")
[ -n "$METRICS_IP" ] || fail "no address for the metrics container"
HARDWARE_PORT=$(free_port)
# --read-only as on ECS (readonlyRootFilesystem = true); there hardware keeps its data in
# PostgreSQL, here its SQLite file goes to a writable /data, the only place it writes.
podman_ run -d --name "$HARDWARE_CTR" --network "$NETWORK" \
    --read-only -v "$DATA_DIR:/data" \
    -p "127.0.0.1:$HARDWARE_PORT:8080" \
    "localhost/hwdash-hardware:$TAG" >/dev/null
wait_for "hardware /healthz on 127.0.0.1:$HARDWARE_PORT" 30 \
    curl -fsS --max-time 2 "http://127.0.0.1:$HARDWARE_PORT/healthz"
# Bodies are captured before grep: `curl | grep -q` under pipefail fails when grep exits at
# its match while curl still writes.
catalog=$(curl -fsS --max-time 5 "http://127.0.0.1:$HARDWARE_PORT/hardware/" || true)
grep -q '"c5"' <<<"$catalog" \
    || fail "hardware's /hardware/ does not list c5 (was its database seeded in /data?)"

# On ECS, Service Connect puts hardware.internal into the task's /etc/hosts; --add-host does
# the same here, so this also proves that the static binary resolves that name.
HARDWARE_IP=$(podman inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$HARDWARE_CTR")
[ -n "$HARDWARE_IP" ] || fail "no address for the hardware container"
PORTAL_PORT=$(free_port)
podman_ run -d --name "$PORTAL_CTR" --network "$NETWORK" --read-only \
    --add-host "hardware.internal:$HARDWARE_IP" \
    -e "METRICS_UDP=$METRICS_IP:8125" -e METRICS_KEY=portal-check \
    -p "127.0.0.1:$PORTAL_PORT:8080" \
    "localhost/hwdash-portal:$TAG" >/dev/null
wait_for "portal /healthz on 127.0.0.1:$PORTAL_PORT" 30 \
    curl -fsS --max-time 2 "http://127.0.0.1:$PORTAL_PORT/healthz"

portal_shows_c5() {
    local page
    page=$(curl -fsS --max-time 2 "http://127.0.0.1:$PORTAL_PORT/") && grep -q '\bc5\b' <<<"$page"
}
wait_for "portal page shows hardware's profile c5 (synced from http://hardware.internal:8080)" 60 \
    portal_shows_c5

# The page requests above were timed by portal and sent to metrics; the hour is read at each
# try, so a run across an hour boundary still finds them.
metrics_has_portal_times() {
    curl -fsS --max-time 2 "http://127.0.0.1:$METRICS_PORT/portal-check/max/$(date -u +%F)/$(date -u +%-H)"
}
wait_for "metrics serves the response times portal sent over UDP (key portal-check)" 30 \
    metrics_has_portal_times

for ctr in "$HARDWARE_CTR" "$PORTAL_CTR"; do
    wait_for "HEALTHCHECK inside $ctr" 20 podman healthcheck run "$ctr"
done

echo "--- SIGTERM"
for ctr in "$PORTAL_CTR" "$HARDWARE_CTR" "$METRICS_CTR"; do
    started=$SECONDS
    # podman stop sends SIGTERM, then SIGKILL after 15 s; a killed container exits 137.
    podman_ stop -t 15 "$ctr" >/dev/null
    code=$(podman inspect --format '{{.State.ExitCode}}' "$ctr")
    [ "$code" = 0 ] || fail "$ctr exited $code after SIGTERM (137 = killed, SIGTERM not handled)"
    echo "ok: $ctr stopped on SIGTERM with exit 0 in $((SECONDS - started))s"
done

echo "--- image sizes"
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep "hwdash-.*:$TAG"
echo "image checks passed"

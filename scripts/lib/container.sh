# shellcheck shell=bash
# What the scripts that run a service in its container with the Fargate task's limits share
# (scripts/loadtest-workflow3.sh, scripts/bench-task-capacity.sh): the task size from the
# Terraform defaults, podman without its systemd noise, and the container's own cgroup
# accounting (CPU time, CFS throttling, memory), on cgroup v1 (these machines) or v2.
# Sourced after ROOT is set; defines functions only.

# tf_default NAME: the default of `variable "NAME"` in infra/terraform/variables.tf.
tf_default() {
    awk -v name="$1" '$0 ~ "variable \"" name "\"" { found = 1 } found && /^[[:space:]]*default[[:space:]]*=/ { print $3; exit }' \
        "$ROOT/infra/terraform/variables.tf"
}

# task_cpus SERVICE / task_memory_mib SERVICE: the Fargate task size of SERVICE (portal,
# hardware, metrics): <service>_cpu / 1024 vCPUs and <service>_memory MiB.
task_cpus() {
    local units
    units=$(tf_default "$1_cpu")
    [[ "$units" =~ ^[0-9]+$ ]] || { echo "error: no default for $1_cpu in infra/terraform/variables.tf" >&2; return 1; }
    python3 -c "print($units / 1024)"
}
task_memory_mib() {
    local mib
    mib=$(tf_default "$1_memory")
    [[ "$mib" =~ ^[0-9]+$ ]] || { echo "error: no default for $1_memory in infra/terraform/variables.tf" >&2; return 1; }
    echo "$mib"
}

# podman schedules health checks with systemd timers; there is none here, so it logs an error
# per container that has a HEALTHCHECK. Drop that noise.
podman_() { podman "$@" 2> >(grep -v "unable to get systemd connection" >&2); }

# cgroup_file CID NAME: the path of the cgroup file NAME of container CID (its full id,
# `podman inspect --format '{{.Id}}'`), or status 1 when there is none.
cgroup_file() {
    local found
    found=$(find /sys/fs/cgroup -path "*$1*" -name "$2" 2>/dev/null | head -n 1)
    [ -n "$found" ] && echo "$found"
}

# cpu_usage_seconds CID: CPU time the container has used since it started (user + system).
cpu_usage_seconds() {
    local f
    if f=$(cgroup_file "$1" cpuacct.usage); then python3 -c "print($(cat "$f") / 1e9)"
    elif f=$(cgroup_file "$1" cpu.stat); then awk '/usage_usec/ { print $2 / 1e6 }' "$f"
    else echo nan; fi
}

# memory_peak_mib CID / memory_now_mib CID: the container's highest and current memory
# charge (resident memory plus page cache, what the limit counts), in MiB.
memory_peak_mib() {
    local f
    if f=$(cgroup_file "$1" memory.max_usage_in_bytes) || f=$(cgroup_file "$1" memory.peak); then
        python3 -c "print(f'{$(cat "$f") / 1048576:.0f}')"
    else echo nan; fi
}
memory_now_mib() {
    local f
    if f=$(cgroup_file "$1" memory.usage_in_bytes) || f=$(cgroup_file "$1" memory.current); then
        python3 -c "print(f'{$(cat "$f") / 1048576:.0f}')"
    else echo nan; fi
}

# memory_anon_mib CID: the anonymous (heap and stack) part of the current charge, in MiB:
# what the process itself holds, without the page cache of the files it wrote.
memory_anon_mib() {
    local f
    if f=$(cgroup_file "$1" memory.stat); then
        # v1 lists rss then total_rss (the last one wins), v2 anon.
        awk '$1 == "anon" || $1 == "rss" || $1 == "total_rss" { v = $2; seen = 1 } END { if (seen) printf "%.0f\n", v / 1048576; else print "nan" }' "$f"
    else echo nan; fi
}

# The cpu.stat with the CFS counters: v1 has a cpu.stat in both the cpu controller and the
# unified tree; only the first counts.
_cpu_stat_with_throttling() {
    local files
    mapfile -t files < <(find /sys/fs/cgroup -path "*$1*" -name cpu.stat 2>/dev/null)
    [ ${#files[@]} -gt 0 ] && grep -l nr_throttled "${files[@]}" 2>/dev/null | head -n 1
}

# cpu_throttling CID: "periods throttled_periods": CFS periods (100 ms) and those in which the
# quota ran out ("0 0" without a CPU limit).
cpu_throttling() {
    local f
    if f=$(_cpu_stat_with_throttling "$1") && [ -n "$f" ]; then
        awk '$1 == "nr_periods" { p = $2 } $1 == "nr_throttled" { t = $2 } END { print p + 0, t + 0 }' "$f"
    else echo "0 0"; fi
}

# cpu_throttled_seconds CID: the total time the container's threads were held back because the
# quota of their period had run out (v1 throttled_time in ns, v2 throttled_usec).
cpu_throttled_seconds() {
    local f
    if f=$(_cpu_stat_with_throttling "$1") && [ -n "$f" ]; then
        awk '$1 == "throttled_time" { s = $2 / 1e9 } $1 == "throttled_usec" { s = $2 / 1e6 } END { print s + 0 }' "$f"
    else echo 0; fi
}

# cpu_limit_cpus CID: the CPU quota the container runs under, in CPUs (cfs_quota / cfs_period
# on v1, cpu.max on v2), or "none" when it has no quota.
cpu_limit_cpus() {
    local f quota period
    if f=$(cgroup_file "$1" cpu.cfs_quota_us); then
        quota=$(cat "$f")
        period=$(cat "$(dirname "$f")/cpu.cfs_period_us")
    elif f=$(cgroup_file "$1" cpu.max); then
        read -r quota period <"$f"
    else echo none; return 0; fi
    if [[ "$quota" =~ ^[0-9]+$ ]] && [ "$quota" -gt 0 ]; then python3 -c "print($quota / $period)"; else echo none; fi
}

# memory_limit_mib CID: the container's memory limit in MiB, or "none" when it has none (v1
# reports an unlimited cgroup as a huge number).
memory_limit_mib() {
    local f bytes
    if f=$(cgroup_file "$1" memory.limit_in_bytes) || f=$(cgroup_file "$1" memory.max); then
        bytes=$(cat "$f")
        if [[ "$bytes" =~ ^[0-9]+$ ]] && [ "$bytes" -lt $((1 << 50)) ]; then echo $((bytes / 1048576)); else echo none; fi
    else echo none; fi
}

# build_images TAG SERVICE...: the static release binaries (the packages and flags of
# scripts/ci/check-images.sh, so one build serves both) and the image
# localhost/hwdash-SERVICE:TAG of each SERVICE from infra/docker/Dockerfile
# (BINARY_FROM=prebuilt: nothing is pulled). Needs CARGO_TARGET_DIR; returns 1 on a failure.
build_images() {
    local tag=$1 static ctx service status=0
    shift
    static="$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release"
    (cd "$ROOT" && RUSTFLAGS='-C target-feature=+crt-static' cargo build --release --locked \
        --target x86_64-unknown-linux-gnu -p portal -p hardware -p metrics) || return 1
    ctx=$(mktemp -d -t hwdash-image-context.XXXXXX)
    mkdir -p "$ctx/prebuilt" "$ctx/infra/docker"
    cp "$static/portal" "$static/hardware" "$static/metrics" /etc/ssl/certs/ca-certificates.crt "$ctx/prebuilt/"
    cp -r "$ROOT/infra/docker/rootfs" "$ROOT/infra/docker/writable" "$ctx/infra/docker/"
    for service in "$@"; do
        podman_ build --quiet --format docker -f "$ROOT/infra/docker/Dockerfile" --build-arg BINARY_FROM=prebuilt \
            --target "$service" -t "localhost/hwdash-$service:$tag" "$ctx" >/dev/null \
            || { echo "error: podman build of $service failed" >&2; status=1; break; }
    done
    rm -rf "$ctx"
    return "$status"
}

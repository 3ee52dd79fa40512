# Helpers for scripts/ci/*.sh: install what a test needs, once per run, loudly on failure.
# Sourced by scripts/test.sh; every function is idempotent.

: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
export ROOT

_apt_updated=${_apt_updated:-0}

# apt_install PACKAGE... : installs the Debian packages that are missing.
apt_install() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "installing Debian packages: ${missing[*]}"
    if [ "$_apt_updated" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        _apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# pip_install COMMAND SPEC... : installs the PyPI packages when COMMAND is not on PATH.
pip_install() {
    local command=$1
    shift
    if command -v "$command" >/dev/null 2>&1 && "$command" --version >/dev/null 2>&1; then
        return 0
    fi
    echo "installing PyPI packages: $*"
    python3 -m pip install --quiet --disable-pip-version-check "$@"
    hash -r
    command -v "$command" >/dev/null || { echo "error: $command still missing after pip install" >&2; return 1; }
}

# ci_setup NAME... : sources scripts/ci/setup-NAME.sh for each NAME (what a check needs
# installed), so each check script also runs alone.
ci_setup() {
    local name
    for name in "$@"; do
        # shellcheck source=/dev/null
        source "$ROOT/scripts/ci/setup-$name.sh"
    done
}

# use_containers_conf: exports CONTAINERS_CONF, the podman settings that work on these
# machines (../shared/ENVIRONMENT.md), unless one is already set. One fixed file per user:
# calling it again rewrites the same file.
use_containers_conf() {
    [ -n "${CONTAINERS_CONF:-}" ] && [ -f "$CONTAINERS_CONF" ] && return 0
    local dir="${TMPDIR:-/tmp}/hwdash-containers-$(id -u)"
    mkdir -p "$dir"
    cat >"$dir/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
    export CONTAINERS_CONF="$dir/containers.conf"
}

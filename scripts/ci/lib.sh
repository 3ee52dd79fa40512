# Helpers for scripts/ci/*.sh: install what a test needs, once per run, loudly on failure.
# Sourced by scripts/test.sh; every function is idempotent.

: "${ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

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

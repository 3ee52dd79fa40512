#!/usr/bin/env bash
# Non-cargo checks for the portal's scripts: they parse, and --help works without building
# or starting anything (the scripts themselves are exercised by hand and by the benchmark).
set -euo pipefail
cd "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
for script in scripts/run-local.sh scripts/bench-portal.sh; do
    bash -n "$script"
    "$script" --help | grep -q '^Usage:' || { echo "error: $script --help prints no usage" >&2; exit 1; }
    if "$script" --no-such-option >/dev/null 2>&1; then
        echo "error: $script accepted an unknown option" >&2
        exit 1
    fi
done
# The audit script (run by the portal's heavy audit test) at least parses.
node --check portal/tests/audit/audit.mjs
echo "portal scripts: ok"

#!/usr/bin/env bash
# The capacity model: scripts/capacity-model.py runs on the committed 1x report, refuses bad
# input by name, and the scenario table in docs/capacity.md is the one it prints (so the doc
# cannot drift from the measured figures it claims to come from).
set -euo pipefail
cd "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"

output=$(python3 scripts/capacity-model.py)
table=$(grep '^| ' <<<"$output")
[ "$(wc -l <<<"$table")" -ge 5 ] || { echo "error: capacity-model.py printed no scenario table" >&2; exit 1; }
grep -q '^| 100x | ' <<<"$table" || { echo "error: no 100x row in the capacity model" >&2; exit 1; }
grep -q 'x81' <<<"$table" || { echo "error: no 4-year (x81) row in the capacity model" >&2; exit 1; }

while IFS= read -r row; do
    grep -qxF -- "$row" docs/capacity.md || {
        echo "error: docs/capacity.md lacks this row of scripts/capacity-model.py's table:" >&2
        echo "  $row" >&2
        echo "re-run the script and paste its table into docs/capacity.md" >&2
        exit 1
    }
done <<<"$table"

if error=$(python3 scripts/capacity-model.py --yearly-growth -3 2>&1); then
    echo "error: capacity-model.py accepted --yearly-growth -3" >&2
    exit 1
fi
grep -q -- "-3" <<<"$error" || { echo "error: the bad value is not named: $error" >&2; exit 1; }
# Growth is a real input: doubling for 4 years is x16, not x81.
# (Captured first: `grep -q` in a pipe exits at the first match, and the writer's broken pipe
# would fail the pipeline under pipefail whenever the match comes before the last line.)
doubling=$(python3 scripts/capacity-model.py --yearly-growth 2)
grep -q '(x16)' <<<"$doubling" \
    || { echo "error: --yearly-growth 2 --years 4 does not give x16" >&2; exit 1; }
echo "capacity model: ok"

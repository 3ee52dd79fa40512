#!/usr/bin/env bash
# The capacity model: the generated tables of docs/capacity.md and docs/findings.md and both
# charts are exactly what scripts/capacity-model.py prints from the committed run reports (so
# the docs cannot drift from the measurements they claim to come from), and bad input is
# refused by name.
set -euo pipefail
cd "${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"

python3 scripts/capacity-model.py --check \
    || { echo "error: the capacity docs differ from the model; run scripts/capacity-model.py --write" >&2; exit 1; }

output=$(python3 scripts/capacity-model.py)
for scenario in '| 1x |' '| 10x |' '| 100x |' '(x81)'; do
    grep -qF -- "$scenario" <<<"$output" || { echo "error: no '$scenario' scenario in the model's output" >&2; exit 1; }
done

# expect_refusal WHAT ARGS...: the model exits non-zero and names WHAT in its message.
expect_refusal() {
    local what=$1 error
    shift
    if error=$(python3 scripts/capacity-model.py "$@" 2>&1); then
        echo "error: capacity-model.py accepted $*" >&2
        exit 1
    fi
    grep -qF -- "$what" <<<"$error" || { echo "error: '$*' was refused without naming '$what': $error" >&2; exit 1; }
}
expect_refusal "-3" --yearly-growth -3
expect_refusal "1.5" --utilization 1.5
expect_refusal "ten" --factors 10,ten
expect_refusal "missing.json" --task-capacity missing.json

# Growth is a real input: doubling for 4 years is x16, not x81.
# (Captured first: `grep -q` in a pipe exits at the first match, and the writer's broken pipe
# would fail the pipeline under pipefail whenever the match comes before the last line.)
doubling=$(python3 scripts/capacity-model.py --yearly-growth 2)
grep -q '(x16)' <<<"$doubling" || { echo "error: --yearly-growth 2 --years 4 does not give x16" >&2; exit 1; }
# The benchmark that writes the task ceilings explains itself and refuses a bad option by name
# before it builds or starts anything.
scripts/bench-task-capacity.sh --help | grep -q "Fargate task" \
    || { echo "error: scripts/bench-task-capacity.sh --help does not explain itself" >&2; exit 1; }
if error=$(scripts/bench-task-capacity.sh --service bogus 2>&1); then
    echo "error: scripts/bench-task-capacity.sh accepted --service bogus" >&2
    exit 1
fi
grep -qF "bogus" <<<"$error" || { echo "error: --service bogus was refused without naming it: $error" >&2; exit 1; }
echo "capacity model: ok"

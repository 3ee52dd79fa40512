#!/usr/bin/env python3
"""One line of figures from a loadtest JSON report, for scripts/rehearse-release.sh.

usage: rehearsal-figures.py PHASE REPORT.json

Latencies are loadtest's corrected ones (from the scheduled send time, so a stall counts in
full). loadtest keeps a distribution, not every sample: when the max is over 1 s, the count
over 1 s is bounded from the distribution's percentiles (the share above the first percentile
whose value is over 1 s), printed as "<=N".
"""
import json
import sys

phase, path = sys.argv[1], sys.argv[2]
with open(path) as f:
    total = json.load(f)["total"]
lat = total["corrected"]
count, errors = total["count"], total["errors"]
if lat["max"] < 1000.0:
    over = "0"
else:
    share = 100.0
    for pct, value in lat["distribution"]:
        if value > 1000.0:
            share = 100.0 - pct if pct < 100.0 else 100.0 - pct
            break
    over = "<=%d" % max(1, round(count * max(share, 0.001) / 100.0))
kinds = ",".join(f"{k}:{v}" for k, v in sorted(total["errors_by_kind"].items())) or "-"
print(
    f"phase {phase:<7} requests={count} rate={total['throughput']:.0f}/s errors={errors} "
    f"over1s={over} p99={lat['p99']:.1f}ms max={lat['max']:.1f}ms error_kinds={kinds}"
)

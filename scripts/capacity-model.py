#!/usr/bin/env python3
"""Capacity model: what 10x, 100x and N years of growth need and cost, from measured figures.

Inputs (each written by a benchmark script; nothing here is a hand-typed figure):
  docs/performance/loadtest-workflow3-1x.{json,md}, -10x.{json,md}  scripts/loadtest-workflow3.sh 1|10
  docs/performance/task-capacity.json                                scripts/bench-task-capacity.sh
  docs/data/aws-prices.csv                                           instance types and prices, with sources

    scripts/capacity-model.py                     # print every table (Markdown)
    scripts/capacity-model.py --write             # rewrite the generated parts of the docs and the charts
    scripts/capacity-model.py --check             # exit 1 if the docs differ from what the model prints
    scripts/capacity-model.py --yearly-growth 2   # "200 %" read as doubling: x16 in 4 years

The parameters below are choices, not measurements; each is a flag with its reason.
"""

import argparse
import difflib
import math
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from capacity import charts, model, report  # noqa: E402
from capacity.inputs import InputError, read_prices, read_task_ceilings, read_workflow_run  # noqa: E402

PERF = ROOT / "docs" / "performance"
CAPACITY_DOC = ROOT / "docs" / "capacity.md"
FINDINGS_DOC = ROOT / "docs" / "findings.md"
SLA_CHART = ROOT / "docs" / "findings-sla.svg"
PLAN_CHART = ROOT / "docs" / "capacity-plan.svg"


def positive(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be a positive number")
    return value


def fraction(text):
    value = positive(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a fraction in (0, 1]")
    return value


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Capacity model for 10x, 100x and years of growth, from measured figures.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the generated parts of docs/capacity.md, docs/findings.md and the charts")
    mode.add_argument("--check", action="store_true", help="exit 1 when the docs or charts differ from the model's output")
    p.add_argument("--report-1x", type=pathlib.Path, default=PERF / "loadtest-workflow3-1x.json", help="workflow 3 report at 1x")
    p.add_argument("--report-10x", type=pathlib.Path, default=PERF / "loadtest-workflow3-10x.json", help="workflow 3 report at 10x")
    p.add_argument("--task-capacity", type=pathlib.Path, default=PERF / "task-capacity.json", help="per-task ceilings")
    p.add_argument("--prices", type=pathlib.Path, default=ROOT / "docs" / "data" / "aws-prices.csv", help="instance types and prices")
    p.add_argument("--yearly-growth", type=positive, default=3.0, help="growth factor per year (200 %% year-over-year read as x3)")
    p.add_argument("--years", type=int, default=4, help="years of growth to plan for")
    p.add_argument("--factors", default="10,100", help="further fixed multiples of the 1x demand, comma-separated")
    p.add_argument("--utilization", type=fraction, default=0.5,
                   help="CPU fraction to plan at: room for a lost availability zone and the minutes autoscaling takes")
    p.add_argument("--min-tasks", type=int, default=2, help="fewest tasks per service (one per availability zone)")
    p.add_argument("--metrics-task-vcpu", type=positive, default=0.5, help="vCPU of a collector task (infra: metrics_cpu / 1024)")
    p.add_argument("--metrics-task-memory-gib", type=positive, default=1.0, help="memory of a collector task (infra: metrics_memory)")
    p.add_argument("--keys-at-1x", type=int, default=1450, help="distinct event keys at 1x (workflow 1: 5 x 250 endpoints; workflow 2: 200)")
    p.add_argument("--event-retention-days", type=positive, default=35, help="days of events kept (metrics --event-retention-days)")
    p.add_argument("--pool-headroom", type=positive, default=2.0, help="database connections per busy connection (bursts, flushes)")
    p.add_argument("--postgres-limit-tb", type=positive, default=10.0,
                   help="events kept above which one PostgreSQL primary stops being enough (restore and failover times, vacuum, one writer)")
    p.add_argument("--migration-premium", type=positive, default=0.25,
                   help="how much more PostgreSQL may cost than ClickHouse before the plan moves the events (a migration is work)")
    p.add_argument("--clickhouse-bytes-per-event", type=positive, default=25.0,
                   help="compressed bytes per event in ClickHouse: an ASSUMPTION until the migration's first step measures it")
    p.add_argument("--clickhouse-shard-tb", type=positive, default=4.0, help="compressed TB per ClickHouse shard")
    p.add_argument("--clickhouse-node", default="m7g.4xlarge", help="ClickHouse node type (from the price list)")
    p.add_argument("--dashboard-vcpu", type=positive, default=0.25, help="vCPU of portal and hardware together on one machine (their load is not in the workflows)")
    p.add_argument("--database-memory-gib", type=positive, default=16.0, help="memory for PostgreSQL on one machine (shared buffers and cache)")
    p.add_argument("--gp3-volume-tb", type=positive, default=17.6, help="largest gp3 volume (16 TiB = 17.6 TB)")
    p.add_argument("--ingest-bytes", type=positive, default=450,
                   help="bytes through the load balancer per `POST /ingest` (request and response with headers): an estimate from the formats")
    p.add_argument("--event-page-bytes", type=positive, default=5000,
                   help="bytes through the load balancer per page of 50 events (about 84 bytes of JSON each, the Link header, the request): an estimate from the format")
    p.add_argument("--dashboard-views", default="100,1000,10000,50000",
                   help="dashboard page views per second to size portal for (its traffic is not in the workflows), comma-separated")
    p.add_argument("--ec2-packing-loss", type=fraction, default=0.1, help="share of an EC2 instance ECS cannot place tasks on")
    args = p.parse_args(argv)
    if args.years < 0:
        p.error(f"--years must be 0 or more, got {args.years}")
    if args.keys_at_1x < 1:
        p.error(f"--keys-at-1x must be 1 or more, got {args.keys_at_1x}")
    if args.min_tasks < 1:
        p.error(f"--min-tasks must be 1 or more, got {args.min_tasks}")
    try:
        args.factors = [positive(f) for f in args.factors.split(",") if f.strip()]
    except argparse.ArgumentTypeError as error:
        p.error(f"--factors: {error}")
    try:
        args.dashboard_views = [positive(v) for v in args.dashboard_views.split(",") if v.strip()]
    except argparse.ArgumentTypeError as error:
        p.error(f"--dashboard-views: {error}")
    return args


def build(args):
    runs = (read_workflow_run(args.report_1x), read_workflow_run(args.report_10x))
    ceilings_date, ceilings = read_task_ceilings(args.task_capacity)
    prices = read_prices(args.prices)
    if args.clickhouse_node not in prices:
        raise InputError(f"--clickhouse-node '{args.clickhouse_node}' is not in {args.prices}")
    m = model.measure(*runs, args.keys_at_1x)
    growth = args.yearly_growth ** args.years
    scenarios = sorted({("1x", 1.0), *((f"{f:g}x", f) for f in args.factors),
                        (f"{args.years} years at x{args.yearly_growth:g} a year (x{growth:g})", growth)},
                       key=lambda s: s[1])
    plans = [model.plan(label, f, m, args, prices, ceilings) for label, f in scenarios]
    years = [model.plan(f"year {y}\nx{args.yearly_growth ** y:g}", args.yearly_growth ** y, m, args, prices, ceilings)
             for y in range(args.years + 1)]
    verticals = [model.vertical(p, m, args, prices) for p in plans]
    limits = model.one_machine_limits(m, args, prices)
    options = model.compute_options(prices, args)

    blocks = {
        "inputs": report.measured_inputs(m, runs, ceilings_date, ceilings, args),
        "metrics-steps": report.metrics_steps(plans, m, args),
        "summary": report.summary(plans, ceilings, args),
        "costs": report.cost_breakdown(plans),
        "vertical": report.vertical_table(verticals, limits, args),
        "options": report.options_table(options, m, args),
        "years": report.yearly_table(years, args, ceilings),
        "events-store": report.events_store_table(plans + years[1:-1], args),
        "dashboard": report.dashboard_table([model.dashboard(v, ceilings, args, prices) for v in args.dashboard_views], ceilings, args),
        "glance": report.glance(plans),
        "ceilings": report.ceilings_table(ceilings),
    }
    sla_runs = [(f"workflow 3, 1x\n{runs[0].rate:,.0f} req/s", runs[0].p99_ms, runs[0].max_ms),
                (f"workflow 3, 10x\n{runs[1].rate:,.0f} req/s", runs[1].p99_ms, runs[1].max_ms)]
    for name in ("portal", "hardware", "metrics"):
        c = ceilings[name]
        sla_runs.append((f"{name} task at\nits ceiling\n{c.ceiling_rps:,.0f} req/s", c.p99_ms_at_ceiling, c.max_ms_at_ceiling))
    files = {
        SLA_CHART: charts.latency_against_sla(sla_runs),
        PLAN_CHART: charts.monthly_cost_by_year([(p.label, p.cost) for p in years]),
    }
    return blocks, files


# A generated block: its opening marker, what the model printed (never another marker), and its
# closing marker; an empty block (a new page) matches too.
BLOCK = re.compile(r"(<!-- capacity-model: (?P<name>[a-z-]+) -->\n)((?:(?!<!-- /?capacity-model).)*?)(<!-- /capacity-model -->)", re.S)


def fill(text, blocks, path):
    seen = set()

    def replace(match):
        name = match.group("name")
        if name not in blocks:
            raise InputError(f"{path}: unknown generated block '{name}'")
        seen.add(name)
        return match.group(1) + blocks[name] + "\n" + match.group(4)

    return BLOCK.sub(replace, text), seen


def main(argv):
    args = parse_args(argv)
    try:
        blocks, files = build(args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not (args.write or args.check):
        for name, text in blocks.items():
            print(f"## {name}\n\n{text}\n")
        return 0
    differences = 0
    used = set()
    for doc in (CAPACITY_DOC, FINDINGS_DOC):
        old = doc.read_text()
        try:
            new, seen = fill(old, blocks, doc)
        except InputError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        used |= seen
        files[doc] = new
    missing = set(blocks) - used
    if missing:
        print(f"error: no place in the docs for the block(s) {sorted(missing)}", file=sys.stderr)
        return 1
    for path, new in files.items():
        old = path.read_text() if path.exists() else ""
        if old == new:
            continue
        if args.write:
            path.write_text(new)
            print(f"wrote {path.relative_to(ROOT)}")
        else:
            differences += 1
            print(f"error: {path.relative_to(ROOT)} differs from scripts/capacity-model.py's output:", file=sys.stderr)
            sys.stderr.writelines(list(difflib.unified_diff(old.splitlines(True), new.splitlines(True), "committed", "model"))[:40])
    if differences:
        print("re-run: scripts/capacity-model.py --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

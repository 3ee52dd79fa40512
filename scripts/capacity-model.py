#!/usr/bin/env python3
"""Capacity model: what 10x, 100x and N years of growth need, from the measured figures.

Demand at 1x is read from the workflow 3 report that scripts/loadtest-workflow3.sh 1 wrote
(docs/performance/loadtest-workflow3-1x.json): requests per second per target service. The
capacity of one unit of each service comes from the benchmarks (docs/performance/*.md); the
defaults below are those figures, and every one is a flag so a new measurement, a different
task size or a different reading of "200 % growth" changes the table without editing code.

Prints Markdown tables (the ones in docs/capacity.md come from this script).

    scripts/capacity-model.py                         # the defaults: x3 a year for 4 years
    scripts/capacity-model.py --yearly-growth 2       # "200 %" read as doubling
    scripts/capacity-model.py --portal-rps-2cpu 30000 # after a new portal benchmark
"""

import argparse
import json
import math
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_REPORT = ROOT / "docs" / "performance" / "loadtest-workflow3-1x.json"


def positive(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"'{text}' must be a positive number")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Capacity model for 10x, 100x and years of growth, from measured figures.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--report", type=pathlib.Path, default=DEFAULT_REPORT,
                        help="workflow 3 report at 1x (JSON written by loadtest)")
    parser.add_argument("--yearly-growth", type=positive, default=3.0,
                        help="growth factor per year (200 %% year-over-year read as x3)")
    parser.add_argument("--years", type=int, default=4, help="years of growth to plan for")
    parser.add_argument("--factors", default="10,100",
                        help="further fixed multiples of the 1x demand, comma-separated")
    parser.add_argument("--task-vcpu", type=positive, default=0.5,
                        help="vCPU of one Fargate task")
    parser.add_argument("--headroom", type=positive, default=0.5,
                        help="fraction of measured capacity to plan at (room for a lost zone "
                             "and the minutes autoscaling takes)")
    parser.add_argument("--min-tasks", type=int, default=2,
                        help="fewest tasks per service (one per availability zone)")
    # Measured on the 2-core machine, load generator on the same cores (docs/performance/).
    parser.add_argument("--portal-rps-2cpu", type=positive, default=72223,
                        help="portal cached page, req/s on 2 cores (bench-portal.sh)")
    parser.add_argument("--hardware-rps-2cpu", type=positive, default=85059,
                        help="hardware paged list, req/s on 2 cores (bench-hardware.sh)")
    parser.add_argument("--metrics-http-rps-2cpu", type=positive, default=90447,
                        help="metrics single-line POST /ingest, req/s on 2 cores "
                             "(bench-metrics.sh --ingest-batch 1)")
    parser.add_argument("--generator-rps-2cpu", type=positive, default=75000,
                        help="loadtest on schedule, req/s on 2 cores (bench-loadtest.sh)")
    args = parser.parse_args(argv)
    if args.years < 0:
        parser.error(f"--years must be 0 or more, got {args.years}")
    if args.headroom > 1:
        parser.error(f"--headroom is a fraction of capacity (0 to 1], got {args.headroom}")
    try:
        args.factors = [positive(f) for f in args.factors.split(",") if f.strip()]
    except argparse.ArgumentTypeError as error:
        parser.error(f"--factors: {error}")
    return args


def demand_at_1x(report_path):
    """Requests per second per target, from the report's per-step request counts."""
    try:
        report = json.loads(report_path.read_text())
    except FileNotFoundError:
        sys.exit(f"error: {report_path} is missing: run scripts/loadtest-workflow3.sh 1 first")
    except json.JSONDecodeError as error:
        sys.exit(f"error: {report_path} is not a loadtest JSON report: {error}")
    seconds = report["settings"]["run_seconds"]
    # Every actor of the reference workflows talks to metrics: app instances write events,
    # customers and partners read them back (docs/loadtest.md, "The reference workflows").
    # The dashboard's own traffic (portal, hardware) is not in these workflows, so their
    # demand here is 0 and they get --min-tasks; their capacity comes from bench-portal.sh
    # and bench-hardware.sh.
    per_actor = {"app-instance": "metrics", "customer": "metrics", "partner": "metrics",
                 "deepest retrieval": "metrics",
                 "api-client": "hardware", "dashboard-viewer": "portal"}
    demand = {"metrics": 0.0, "hardware": 0.0, "portal": 0.0}
    for workflow in report["workflows"]:
        for actor in workflow["actors"]:
            target = per_actor.get(actor["name"])
            if target is None:
                continue
            for step in actor["steps"]:
                if step["kind"] == "request":
                    demand[target] += step["summary"]["count"] / seconds
    return demand


def main(argv):
    args = parse_args(argv)
    demand = demand_at_1x(args.report)
    total = sum(demand.values())
    scenarios = [("1x", 1.0)]
    scenarios += [(f"{f:g}x", f) for f in args.factors]
    growth = args.yearly_growth ** args.years
    scenarios.append((f"{args.years} years at x{args.yearly_growth:g} a year (x{growth:g})", growth))
    scenarios.sort(key=lambda s: s[1])

    per_task = lambda rps_2cpu: rps_2cpu / 2 * args.task_vcpu * args.headroom  # noqa: E731
    plan = {
        "portal": per_task(args.portal_rps_2cpu),
        "hardware": per_task(args.hardware_rps_2cpu),
        "metrics": per_task(args.metrics_http_rps_2cpu),
    }

    print(f"Demand at 1x, from {args.report.relative_to(ROOT) if args.report.is_relative_to(ROOT) else args.report}: "
          f"{total:,.0f} req/s (metrics events and event pages {demand['metrics']:,.1f}, hardware API pages "
          f"{demand['hardware']:,.1f}, portal pages {demand['portal']:,.1f}).")
    print(f"Planned per {args.task_vcpu:g} vCPU task at {args.headroom:.0%} of measured capacity: "
          + ", ".join(f"{name} {rps:,.0f} req/s" for name, rps in plan.items()) + ".\n")
    print("| scenario | total req/s | portal tasks | hardware API tasks | metrics collectors (HTTP) | load generator cores |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, factor in scenarios:
        tasks = {
            name: max(args.min_tasks, math.ceil(demand[name] * factor / plan[name]))
            for name in plan
        }
        cores = math.ceil(total * factor / (args.generator_rps_2cpu / 2))
        print(f"| {label} | {total * factor:,.0f} | {tasks['portal']} | {tasks['hardware']} | "
              f"{tasks['metrics']} | {cores} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

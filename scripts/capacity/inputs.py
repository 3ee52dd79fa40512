"""The measured inputs of the capacity model, read from the files the benchmarks write.

- the workflow 3 reports (loadtest JSON, plus the stack table scripts/loadtest-workflow3.sh
  appends to the Markdown report): demand per flow and the collector's and PostgreSQL's CPU
  under a known load;
- the per-task ceilings (scripts/bench-task-capacity.sh): each service in its container with
  the Fargate task's CPU and memory, driven until it misses the SLA;
- the price list (docs/data/aws-prices.csv): instance types and on-demand prices.

Every reader fails with a message naming the file and what is wrong, never a traceback.
"""

import csv
import json
import re
from dataclasses import dataclass, field


class InputError(Exception):
    """A measured input is missing or does not say what the model needs."""


def _load_json(path):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path} is missing") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path} is not JSON: {error}") from None


@dataclass
class Flow:
    """One kind of request in a workflow run: its rate and its latency spread."""
    workflow: str
    actor: str
    step: str
    rate: float
    mean_ms: float
    stddev_ms: float
    p99_ms: float
    max_ms: float
    pages: bool  # a whole paginated retrieval (its latency is the sum of its pages)


@dataclass
class WorkflowRun:
    """A workflow 3 run: what was asked of metrics and what it cost."""
    multiplier: float
    seconds: float
    rate: float
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    passed: bool
    flows: list = field(default_factory=list)
    metrics_vcpu: float = float("nan")
    metrics_limit_vcpu: float = float("nan")
    throttled_pct: float = float("nan")
    metrics_memory_peak_mib: float = float("nan")
    postgres_vcpu: float = float("nan")
    rows_per_second: float = float("nan")
    database_bytes_per_event: float = float("nan")
    seed_events_per_second: float = float("nan")

    @property
    def event_rate(self):
        return sum(f.rate for f in self.flows if f.step == "send event")

    @property
    def page_rate(self):
        return sum(f.rate for f in self.flows if f.step != "send event" and not f.pages)


def _stack_figure(text, label, pattern, path):
    """One figure of the stack table that scripts/loadtest-workflow3.sh appends."""
    line = next((l for l in text.splitlines() if l.startswith(f"| {label} |")), None)
    if line is None:
        raise InputError(f"{path}: no '| {label} |' row in its stack table "
                         "(re-run scripts/loadtest-workflow3.sh)")
    match = re.search(pattern, line)
    if match is None:
        raise InputError(f"{path}: the '{label}' row does not match {pattern!r}: {line}")
    return float(match.group(1).replace(",", ""))


def read_workflow_run(json_path):
    report = _load_json(json_path)
    try:
        settings, total = report["settings"], report["total"]
        seconds = settings["run_seconds"]
        run = WorkflowRun(
            multiplier=settings["multiplier"], seconds=seconds, rate=total["throughput"],
            errors=total["errors"], p50_ms=total["corrected"]["p50"],
            p99_ms=total["corrected"]["p99"], max_ms=total["corrected"]["max"],
            passed=report["passed"])
        for workflow in report["workflows"]:
            for actor in workflow["actors"]:
                for step in actor["steps"]:
                    summary = step["summary"]
                    if summary["count"] == 0:
                        continue
                    corrected = summary["corrected"]
                    run.flows.append(Flow(
                        workflow["name"], actor["name"], step["name"], summary["count"] / seconds,
                        corrected["mean"], corrected["stddev"], corrected["p99"], corrected["max"],
                        step["kind"] == "all_pages"))
    except (KeyError, TypeError) as error:
        raise InputError(f"{json_path}: not a loadtest report ({error!r} missing)") from None

    md_path = json_path.with_suffix(".md")
    try:
        text = md_path.read_text()
    except FileNotFoundError:
        raise InputError(f"{md_path} is missing (the stack figures of {json_path.name})") from None
    run.metrics_vcpu = _stack_figure(text, "metrics CPU", r"([\d.]+) vCPU on average", md_path)
    run.metrics_limit_vcpu = _stack_figure(text, "metrics container", r"([\d.]+) vCPU", md_path)
    run.throttled_pct = _stack_figure(text, "metrics CPU quota exhausted", r"\(([\d.]+) %\)", md_path)
    run.metrics_memory_peak_mib = _stack_figure(text, "metrics memory", r"peak ([\d.]+) MiB", md_path)
    run.postgres_vcpu = _stack_figure(text, "PostgreSQL CPU", r"([\d.]+) vCPU", md_path)
    run.rows_per_second = _stack_figure(text, "events stored during the run", r"\(([\d,]+) rows/s\)", md_path)
    size_gib = _stack_figure(text, "database size after the run", r"([\d.]+) GiB", md_path)
    rows = _stack_figure(text, "database size after the run", r"GiB, ([\d,]+) event rows", md_path)
    run.database_bytes_per_event = size_gib * 2**30 / rows
    run.seed_events_per_second = _stack_figure(
        text, "seeded history (`--seed all`)" if "--seed all" in text else "seeded history (`--seed read`)",
        r"s: (\d+) events/s", md_path)
    return run


@dataclass
class TaskCeiling:
    """One service in its container with the Fargate task's limits, driven to its ceiling."""
    service: str
    request: str
    cpu_vcpu: float
    memory_mib: float
    ceiling_rps: float
    bound: str  # what stopped the ladder: the service, or the load generator beside it
    cpu_us_per_request: float
    memory_base_mib: float
    memory_peak_mib: float
    p99_ms_at_ceiling: float
    max_ms_at_ceiling: float
    throttled_pct_at_ceiling: float


def read_task_ceilings(path):
    report = _load_json(path)
    ceilings = {}
    try:
        services = report["services"]
        items = services.items() if isinstance(services, dict) else ((s["service"], s) for s in services)
        for name, s in items:
            steps = s.get("steps") or s.get("ladder") or []
            ceiling = float(s["ceiling_rps"])
            at = [x for x in steps if x.get("passed") and float(x["scheduled"]) == ceiling]
            top = at[0] if at else {}
            ceilings[name] = TaskCeiling(
                service=name, request=s["request"], cpu_vcpu=float(s["cpu_vcpu"]),
                memory_mib=float(s["memory_mib"]), ceiling_rps=ceiling,
                bound=s.get("ceiling_bound", "service"),
                cpu_us_per_request=float(s["cpu_us_per_request"]),
                memory_base_mib=float(s["memory_base_mib"]),
                memory_peak_mib=float(s["memory_peak_mib"]),
                p99_ms_at_ceiling=float(top.get("p99_ms", "nan")),
                max_ms_at_ceiling=float(top.get("max_ms", "nan")),
                throttled_pct_at_ceiling=float(top.get("throttled_pct", "nan")))
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"{path}: not a bench-task-capacity report ({error!r})") from None
    for needed in ("portal", "hardware", "metrics"):
        if needed not in ceilings:
            raise InputError(f"{path}: no '{needed}' service (run scripts/bench-task-capacity.sh)")
    return report.get("date", "?"), ceilings


@dataclass
class Price:
    kind: str
    type: str
    arch: str
    vcpu: float
    memory_gib: float
    network: str
    usd: float
    unit: str
    source: str
    taken: str


def read_prices(path):
    try:
        lines = [l for l in path.read_text().splitlines() if l and not l.startswith("#")]
    except FileNotFoundError:
        raise InputError(f"{path} is missing") from None
    prices = {}
    for number, row in enumerate(csv.DictReader(lines), start=2):
        try:
            price = Price(row["kind"], row["type"], row["arch"],
                          float(row["vcpu"] or 0), float(row["memory_gib"] or 0), row["network"],
                          float(row["price_usd"]), row["unit"], row["source"], row["taken"])
        except (KeyError, ValueError, TypeError) as error:
            raise InputError(f"{path}: data row {number - 1} is not valid ({error}): {row}") from None
        if price.usd <= 0:
            raise InputError(f"{path}: {price.type} has a price of {price.usd}")
        prices[price.type] = price
    return prices

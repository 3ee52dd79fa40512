"""The capacity model: from the measured inputs to tasks, databases and cost per scenario.

Every step is a small function of measured figures and named parameters, so the tables in
docs/capacity.md can be traced back: demand (flows) -> database operations -> connection
pools (Little's law) -> CPU (rate x measured CPU time per request) -> memory (base + per-key
cost) -> tasks -> cost.
"""

import math
from dataclasses import dataclass

HOURS_PER_MONTH = 730  # AWS prices a month as 730 hours
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600


@dataclass
class Line:
    """CPU (or memory) as base + slope x rate, fitted through two measured runs."""
    base: float
    slope: float

    def at(self, rate):
        return self.base + self.slope * rate


def fit(x0, y0, x1, y1):
    if x1 == x0:
        raise ValueError("two runs at the same rate cannot give a slope")
    slope = (y1 - y0) / (x1 - x0)
    return Line(max(0.0, y0 - slope * x0), slope)


@dataclass
class Measured:
    """What the model derives from the runs before it plans anything."""
    metrics_cpu: Line          # vCPU of the collector(s) vs req/s of the workflow mix
    postgres_cpu: Line         # vCPU of the events database vs req/s of the workflow mix
    metrics_memory: Line       # MiB of one collector vs keys it holds
    event_rate_1x: float       # events/s at 1x (one POST /ingest each)
    page_rate_1x: float        # event pages/s at 1x (every retrieval, page by page)
    total_rate_1x: float
    bytes_per_event: float     # events database size per stored event (indexes included)
    copy_events_per_second: float  # PostgreSQL COPY rate measured by the seeding (2 cores)
    page_ms_p50: float         # one event page, p50, as the database-bound hop


def measure(run_1x, run_10x, keys_at_1x):
    return Measured(
        metrics_cpu=fit(run_1x.rate, run_1x.metrics_vcpu, run_10x.rate, run_10x.metrics_vcpu),
        postgres_cpu=fit(run_1x.rate, run_1x.postgres_vcpu, run_10x.rate, run_10x.postgres_vcpu),
        metrics_memory=fit(keys_at_1x * run_1x.multiplier, run_1x.metrics_memory_peak_mib,
                           keys_at_1x * run_10x.multiplier, run_10x.metrics_memory_peak_mib),
        event_rate_1x=run_1x.event_rate, page_rate_1x=run_1x.page_rate, total_rate_1x=run_1x.rate,
        bytes_per_event=run_1x.database_bytes_per_event,
        copy_events_per_second=run_1x.seed_events_per_second,
        page_ms_p50=next(f.mean_ms for f in run_1x.flows if f.actor == "deepest retrieval" and not f.pages))


def fargate_hourly(prices, vcpu, memory_gib, arch="x86"):
    return (vcpu * prices[f"fargate-linux-{arch} vCPU"].usd
            + memory_gib * prices[f"fargate-linux-{arch} memory"].usd)


def tasks_needed(vcpu_needed, task_vcpu, utilization, min_tasks):
    return max(min_tasks, math.ceil(vcpu_needed / (task_vcpu * utilization)))


def little_connections(rate, seconds_each):
    """Little's law: connections busy on average = arrival rate x time each holds one."""
    return rate * seconds_each


def smallest(prices, kind, family, vcpu_needed, memory_gib_needed=0.0):
    """The smallest type of a family with at least the vCPUs (and memory) asked for."""
    fitting = sorted((p for p in prices.values()
                      if p.kind == kind and p.type.startswith(family)
                      and p.vcpu >= vcpu_needed and p.memory_gib >= memory_gib_needed),
                     key=lambda p: p.usd)
    return fitting[0] if fitting else None


# Fargate's valid memory sizes (GiB) for a 0.5 vCPU task: 1 to 4 GB
# (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html).
FARGATE_HALF_VCPU_MEMORY_GIB = (1, 2, 3, 4)


def collector_memory_gib(needed_mib, args):
    """The task memory that holds a collector's keys with a quarter spare, or None past 4 GB."""
    for gib in FARGATE_HALF_VCPU_MEMORY_GIB:
        if gib >= args.metrics_task_memory_gib and needed_mib / 1024 <= gib * 0.75:
            return gib
    return None


@dataclass
class Store:
    """One way to keep the events: its name, the instance behind it and its monthly cost."""
    name: str
    database_class: object
    usd_per_month: float


def postgres_store(hot_events, postgres_vcpu, m, args, prices):
    """RDS PostgreSQL, Multi-AZ: the smallest db.r8g with the CPU at the planned utilization
    (memory-optimised: the indexes of recent partitions stay in memory), gp3 storage twice."""
    db = smallest(prices, "rds", "db.r8g", postgres_vcpu / args.utilization)
    if db is None:
        db = max((p for p in prices.values() if p.type.startswith("db.r8g")), key=lambda p: p.vcpu)
    usd = 2 * (db.usd * HOURS_PER_MONTH + hot_events * m.bytes_per_event / 1e9 * prices["rds-gp3"].usd)
    return Store(f"PostgreSQL (RDS {db.type}, Multi-AZ)", db, usd)


def clickhouse_store(hot_events, args, prices):
    """Self-managed ClickHouse on EC2: shards of two replicas, a three-node Keeper quorum, gp3."""
    compressed_tb = hot_events * args.clickhouse_bytes_per_event / 1e12
    shards = max(1, math.ceil(compressed_tb / args.clickhouse_shard_tb))
    node = prices[args.clickhouse_node]
    usd = (2 * shards * node.usd * HOURS_PER_MONTH
           + 3 * prices["m7g.large"].usd * HOURS_PER_MONTH  # Keeper quorum
           + 2 * compressed_tb * 1000 * prices["ebs-gp3"].usd)
    return Store(f"ClickHouse ({shards} shard{'s' if shards > 1 else ''} x 2 replicas of {node.type})", None, usd)


def load_balancer_lcus(events, pages, args):
    """ALB capacity units: the largest of the billed dimensions; with keep-alive connections
    the processed bytes dominate (1 LCU = 1 GB an hour to container targets)."""
    gb_per_hour = (events * args.ingest_bytes + pages * args.event_page_bytes) * 3600 / 1e9
    rules = (events + pages) / 1000  # 1 LCU = 1,000 rule evaluations a second
    return max(1.0, gb_per_hour, rules)


@dataclass
class Plan:
    label: str
    factor: float
    rate: float
    event_rate: float
    page_rate: float
    metrics_vcpu: float
    metrics_tasks: int
    metrics_tasks_by: str        # "CPU time" or "task ceiling": which measurement asked for more
    metrics_memory_mib: float    # per collector task (every task sees every key)
    metrics_memory_gib: object   # the task memory that holds it, None past Fargate's 4 GB
    postgres_vcpu: float
    db_busy_connections: float
    pool_per_task: int
    events_hot: float            # events kept (retention window)
    events_hot_tb: float
    store: Store                 # the one planned
    postgres: Store              # both, to compare
    clickhouse: Store
    lcus: float
    cost: dict                   # USD per month by component

    @property
    def events_store(self):
        return self.store.name

    @property
    def database_class(self):
        return self.store.database_class

    @property
    def monthly(self):
        return sum(self.cost.values())


def keeps_postgres(hot_tb, postgres, clickhouse, args):
    """PostgreSQL stays while it holds the events kept and costs no more than ClickHouse plus
    the premium a migration is worth; past either, the plan moves the events to ClickHouse."""
    return (hot_tb <= args.postgres_limit_tb
            and postgres.usd_per_month <= clickhouse.usd_per_month * (1 + args.migration_premium))


def collectors_needed(rate, metrics_vcpu, ceilings, args):
    """Collectors by both measurements, the larger: the workflow runs' CPU time per request,
    and one task's measured ceiling on `POST /ingest` in its container."""
    by_cpu = tasks_needed(metrics_vcpu, args.metrics_task_vcpu, args.utilization, args.min_tasks)
    ceiling = ceilings["metrics"].ceiling_rps * args.metrics_task_vcpu / ceilings["metrics"].cpu_vcpu
    by_ceiling = max(args.min_tasks, math.ceil(rate / (ceiling * args.utilization)))
    return (by_ceiling, "task ceiling") if by_ceiling > by_cpu else (by_cpu, "CPU time")


def plan(label, factor, m, args, prices, ceilings):
    rate = m.total_rate_1x * factor
    events, pages = m.event_rate_1x * factor, m.page_rate_1x * factor
    metrics_vcpu = m.metrics_cpu.at(rate)
    metrics_tasks, tasks_by = collectors_needed(rate, metrics_vcpu, ceilings, args)
    keys = args.keys_at_1x * factor
    memory = m.metrics_memory.at(keys)
    memory_gib = collector_memory_gib(memory, args)
    postgres_vcpu = m.postgres_cpu.at(rate)

    # Database operations: a page is one indexed range query; events are written in one COPY
    # per collector per flush, at the rate the seeding measured.
    busy = (little_connections(pages, m.page_ms_p50 / 1000)
            + little_connections(events, 1 / m.copy_events_per_second))
    pool = max(2, math.ceil(busy * args.pool_headroom / metrics_tasks) + 1)

    hot = events * 86400 * args.event_retention_days
    hot_tb = hot * m.bytes_per_event / 1e12
    postgres = postgres_store(hot, postgres_vcpu, m, args, prices)
    clickhouse = clickhouse_store(hot, args, prices)
    store = postgres if keeps_postgres(hot_tb, postgres, clickhouse, args) else clickhouse
    lcus = load_balancer_lcus(events, pages, args)
    cost = {
        "portal": args.min_tasks * fargate_hourly(prices, 0.5, 1) * HOURS_PER_MONTH,
        "hardware": args.min_tasks * fargate_hourly(prices, 1, 2) * HOURS_PER_MONTH,
        "metrics": metrics_tasks * fargate_hourly(prices, args.metrics_task_vcpu, memory_gib or 4) * HOURS_PER_MONTH,
        "load balancer": (prices["alb-hour"].usd + lcus * prices["alb-lcu"].usd) * HOURS_PER_MONTH,
        "catalog database": 2 * prices["db.t4g.micro"].usd * HOURS_PER_MONTH,
        "events database": store.usd_per_month,
    }
    return Plan(label, factor, rate, events, pages, metrics_vcpu, metrics_tasks, tasks_by, memory,
                memory_gib, postgres_vcpu, busy, pool, hot, hot_tb, store, postgres, clickhouse,
                lcus, cost)


@dataclass
class DashboardPlan:
    views: float
    portal_tasks: int
    usd_per_month: float


def dashboard(views, ceilings, args, prices):
    """Portal tasks for a rate of page views, from one task's measured ceiling on `GET /`.
    hardware's load does not follow the views: each portal task polls it once a sync interval."""
    c = ceilings["portal"]
    tasks = max(args.min_tasks, math.ceil(views / (c.ceiling_rps * args.utilization)))
    return DashboardPlan(views, tasks, tasks * fargate_hourly(prices, c.cpu_vcpu, c.memory_mib / 1024) * HOURS_PER_MONTH)


@dataclass
class Vertical:
    label: str
    vcpu_needed: float
    memory_gib_needed: float
    machine: object
    hot_tb: float


def vertical(p, m, args, prices):
    """Everything on one machine: the collector, the events database, portal and hardware."""
    vcpu = p.metrics_vcpu + p.postgres_vcpu + args.dashboard_vcpu
    memory = p.metrics_memory_mib / 1024 + args.database_memory_gib
    machine = smallest(prices, "ec2", "c7i.", vcpu / args.utilization, memory)
    return Vertical(p.label, vcpu, memory, machine, p.events_hot_tb)


def one_machine_limits(m, args, prices):
    """Where one machine stops: the largest type's CPU, and one gp3 volume for the events."""
    largest = max((p for p in prices.values() if p.type.startswith("c7i.")), key=lambda p: p.vcpu)
    cpu_factor = ((largest.vcpu * args.utilization - args.dashboard_vcpu
                   - m.metrics_cpu.base - m.postgres_cpu.base)
                  / ((m.metrics_cpu.slope + m.postgres_cpu.slope) * m.total_rate_1x))
    hot_tb_1x = m.event_rate_1x * 86400 * args.event_retention_days * m.bytes_per_event / 1e12
    volume_factor = args.gp3_volume_tb / hot_tb_1x
    return largest, cpu_factor, volume_factor, hot_tb_1x


@dataclass
class Option:
    name: str
    vcpu: float
    usd_per_hour: float
    note: str

    def requests_per_dollar(self, rps_per_vcpu, utilization):
        return self.vcpu * rps_per_vcpu * utilization * 3600 / self.usd_per_hour


def compute_options(prices, args):
    """Ways to run a collector vCPU; arm64 ones are priced but their speed is not measured."""
    options = [
        Option("Fargate x86, 0.5 vCPU / 1 GiB (as deployed)", 0.5, fargate_hourly(prices, 0.5, 1), "measured architecture"),
        Option("Fargate x86, 1 vCPU / 2 GiB", 1, fargate_hourly(prices, 1, 2), "measured architecture"),
        Option("Fargate arm64, 0.5 vCPU / 1 GiB", 0.5, fargate_hourly(prices, 0.5, 1, "arm"), "arm64 build, speed assumed equal per vCPU"),
    ]
    for name in ("c7i.large", "c6i.large", "c7g.large", "m7g.large"):
        p = prices[name]
        note = ("ECS on EC2; measured architecture" if p.arch == "x86_64"
                else "ECS on EC2; arm64 build, speed assumed equal per vCPU")
        # ECS on EC2 keeps some of each instance for the agent and bin-packing gaps.
        options.append(Option(f"EC2 {name} ({p.vcpu:g} vCPU / {p.memory_gib:g} GiB)",
                              p.vcpu * (1 - args.ec2_packing_loss), p.usd, note))
    return options

"""Markdown tables of the capacity model (the generated parts of docs/capacity.md and
docs/findings.md)."""

import math


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---:" if h.startswith(("#", "$")) or h.endswith((" s", "/s", ")")) else "---"
                               for h in header) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def usd(value):
    return f"${value:,.0f}"


def measured_inputs(m, runs, ceilings_date, ceilings, args):
    r1, r10 = runs
    rows = [
        ("workflow 3 at 1x / 10x", f"{r1.rate:,.0f} / {r10.rate:,.0f} req/s; p99 {r1.p99_ms:.1f} / {r10.p99_ms:.1f} ms; max {r1.max_ms:.0f} / {r10.max_ms:.0f} ms",
         "`scripts/loadtest-workflow3.sh 1`, `... 10`"),
        ("events at 1x (one `POST /ingest` each)", f"{m.event_rate_1x:,.1f} events/s", "1x report"),
        ("event pages at 1x (retrievals, page by page, and the deepest retrieval)", f"{m.page_rate_1x:,.1f} pages/s", "1x report"),
        ("collector CPU (0.5 vCPU container)", f"{r1.metrics_vcpu:.2f} vCPU at 1x, {r10.metrics_vcpu:.2f} at 10x: **{m.metrics_cpu.base:.3f} vCPU + {m.metrics_cpu.slope * 1e6:.1f} us per request**",
         "cgroup CPU accounting in both runs"),
        ("events database CPU (PostgreSQL 15)", f"{r1.postgres_vcpu:.2f} vCPU at 1x, {r10.postgres_vcpu:.2f} at 10x: **{m.postgres_cpu.base:.3f} vCPU + {m.postgres_cpu.slope * 1e6:.1f} us per request**",
         "per-process CPU time in both runs"),
        ("collector memory", f"peak {r1.metrics_memory_peak_mib:.0f} MiB with {args.keys_at_1x:,} keys, {r10.metrics_memory_peak_mib:.0f} MiB with {args.keys_at_1x * 10:,}: **{m.metrics_memory.base:.0f} MiB + {m.metrics_memory.slope * 1024:.1f} KiB per key**",
         "cgroup memory in both runs"),
        ("events database size", f"{m.bytes_per_event:.0f} bytes per stored event, indexes included", "1x run, 44.5 M events"),
        ("PostgreSQL COPY rate", f"{m.copy_events_per_second:,.0f} events/s (2 cores)", "the 1x run's seeding"),
        ("one event page (mean)", f"{m.page_ms_p50:.2f} ms, at any depth", "deepest retrieval in the 1x run"),
    ]
    for name in ("portal", "hardware", "metrics"):
        c = ceilings[name]
        bound = "" if c.bound == "service" else f" (the {c.bound} on the same cores stopped first: a lower bound)"
        rows.append((f"{name} task ceiling ({c.cpu_vcpu:g} vCPU, {c.memory_mib:,.0f} MiB container), `{c.request}`",
                     f"**{c.ceiling_rps:,.0f} req/s**{bound}; {c.cpu_us_per_request:.0f} us CPU per request; memory {c.memory_base_mib:.0f} MiB idle, {c.memory_peak_mib:.0f} MiB peak",
                     f"`scripts/bench-task-capacity.sh` ({ceilings_date})"))
    return table(["input", "measured", "source"], rows)


def task_memory(p):
    if p.metrics_memory_gib is None:
        return f"{p.metrics_memory_mib:,.0f} MiB: **more than a 0.5 vCPU task holds**"
    return f"{p.metrics_memory_mib:,.0f} MiB, in a {p.metrics_memory_gib} GB task"


def metrics_steps(plans, m, args):
    rows = []
    for p in plans:
        rows.append((p.label, f"{p.event_rate:,.0f}", f"{p.page_rate:,.0f}",
                     f"{p.event_rate:,.0f} rows + {p.page_rate:,.0f} queries",
                     f"{p.db_busy_connections:.2f} busy; pool of {p.pool_per_task} per collector",
                     f"{p.metrics_vcpu:.2f}", f"{p.metrics_tasks} (by {p.metrics_tasks_by})",
                     task_memory(p), f"{p.postgres_vcpu:.2f}"))
    return table(["scenario", "events/s", "pages/s", "database operations/s",
                  "connections (Little's law)", "collector vCPU", "# collectors",
                  "memory per collector", "database vCPU"], rows)


def summary(plans, ceilings, args):
    rows = []
    for p in plans:
        rows.append((p.label, f"{p.rate:,.0f}", args.min_tasks, args.min_tasks, p.metrics_tasks,
                     p.events_store, f"{p.events_hot_tb:,.2f}", usd(p.monthly)))
    return table(["scenario", "req/s", "# portal tasks", "# hardware tasks", "# collectors",
                  "events store", "events kept (TB)", "$ per month"], rows)


def cost_breakdown(plans):
    names = list(plans[0].cost)
    rows = [(p.label, *(usd(p.cost[n]) for n in names), f"**{usd(p.monthly)}**") for p in plans]
    return table(["scenario", *names, "$ total per month"], rows)


def vertical_table(verticals, limits, args):
    largest, cpu_factor, volume_factor, hot_tb_1x = limits
    rows = []
    for v in verticals:
        machine = (f"{v.machine.type} ({v.machine.vcpu:g} vCPU, {v.machine.memory_gib:g} GiB, ${v.machine.usd:.3f}/h)"
                   if v.machine else f"none: more than {largest.type}")
        volume = "fits" if v.hot_tb <= args.gp3_volume_tb else f"**{v.hot_tb / args.gp3_volume_tb:.1f} volumes**"
        rows.append((v.label, f"{v.vcpu_needed:.1f}", f"{v.memory_gib_needed:.1f}", machine,
                     f"{v.hot_tb:,.1f}", volume))
    text = table(["scenario", "vCPU needed", "GiB needed", f"one machine at {args.utilization:.0%} CPU",
                  "events kept (TB)", f"on one {args.gp3_volume_tb:g} TB gp3 volume"], rows)
    text += (f"\n\nOne machine stops at about **x{cpu_factor:,.0f}** of the 1x demand by CPU (the largest"
             f" type listed, {largest.type}, {largest.vcpu:g} vCPU at {args.utilization:.0%}), but at about"
             f" **x{volume_factor:,.0f}** by storage: {hot_tb_1x:.2f} TB of events kept at 1x"
             f" ({args.event_retention_days} days) outgrows one {args.gp3_volume_tb:g} TB gp3 volume there,"
             " and long before either, one machine is one availability zone and one failure.")
    return text


def options_table(options, m, args):
    rps_per_vcpu = 1 / m.metrics_cpu.slope
    rows = []
    for o in sorted(options, key=lambda o: -o.requests_per_dollar(rps_per_vcpu, args.utilization)):
        rows.append((o.name, f"{o.usd_per_hour:.4f}", f"{o.vcpu * rps_per_vcpu * args.utilization:,.0f}",
                     f"{o.requests_per_dollar(rps_per_vcpu, args.utilization) / 1e6:,.0f}", o.note))
    return table(["where a collector runs", "$ per hour", "req/s at the planned CPU",
                  "million requests per $", "note"], rows)


def events_store_table(plans, args):
    rows = []
    for p in sorted(plans, key=lambda p: p.factor):
        chosen = "PostgreSQL" if p.store is p.postgres else "ClickHouse"
        rows.append((p.label.replace("\n", " "), f"{p.events_hot / 1e9:,.1f}", f"{p.events_hot_tb:,.1f}",
                     f"{p.postgres.name}: {usd(p.postgres.usd_per_month)}",
                     f"{p.clickhouse.name}: {usd(p.clickhouse.usd_per_month)}", chosen))
    return table(["load", "billion events kept", "TB in PostgreSQL", "PostgreSQL a month",
                  "ClickHouse a month", "planned"], rows)


def dashboard_table(plans, ceilings, args):
    c = ceilings["portal"]
    rows = [(f"{d.views:,.0f}", d.portal_tasks, usd(d.usd_per_month)) for d in plans]
    text = table(["dashboard page views per second", "# portal tasks", "$ per month"], rows)
    target = c.ceiling_rps * 60 * args.utilization
    text += (f"\n\nOne portal task ({c.cpu_vcpu:g} vCPU) carried {c.ceiling_rps:,.0f} req/s of `GET /` at the SLA,"
             f" so the autoscaling target `portal_requests_per_task_per_minute` at {args.utilization:.0%} is about"
             f" **{target:,.0f}** (the Terraform default, 60,000, scales out earlier and costs more tasks).")
    return text


def trigger(p, nxt, args, ceilings):
    if nxt is None:
        return "re-measure (scripts/loadtest-workflow3.sh at the new multiplier) before planning further"
    steps = []
    if nxt.metrics_tasks > p.metrics_tasks:
        steps.append(f"collectors to {nxt.metrics_tasks} when their CPU passes {args.utilization:.0%} or `send event` p99 passes 200 ms")
    if nxt.metrics_memory_gib != p.metrics_memory_gib:
        size = f"{nxt.metrics_memory_gib} GB" if nxt.metrics_memory_gib else "more than 4 GB (1 vCPU tasks)"
        steps.append(f"collector memory to {size} when a collector's memory passes 75% of its task")
    if p.database_class is not None and nxt.database_class is not None and nxt.database_class.type != p.database_class.type:
        steps.append(f"events database to {nxt.database_class.type} when its CPU passes {args.utilization:.0%}")
    if p.database_class is not None and nxt.database_class is None:
        why = (f"the events kept reach {nxt.events_hot_tb:,.1f} TB, past the {args.postgres_limit_tb:g} TB limit"
               if nxt.events_hot_tb > args.postgres_limit_tb else
               f"PostgreSQL would cost {usd(nxt.postgres.usd_per_month)} a month there, ClickHouse {usd(nxt.clickhouse.usd_per_month)}")
        steps.append(f"**migrate the events to ClickHouse within the year** ({why}); begin when the events kept pass {p.events_hot_tb:,.1f} TB")
    return "; ".join(steps) or "nothing new: the same shape carries it"


def yearly_table(years, args, ceilings):
    rows = []
    for i, p in enumerate(years):
        nxt = years[i + 1] if i + 1 < len(years) else None
        rows.append((p.label.replace("\n", " "), f"{p.rate:,.0f}", f"{p.event_rate * 86400 * 30 / 1e9:,.1f}",
                     p.metrics_tasks, p.events_store, f"{p.events_hot_tb:,.1f}", usd(p.monthly),
                     trigger(p, nxt, args, ceilings)))
    return table(["year", "req/s", "billion events a month", "# collectors", "events store",
                  "events kept (TB)", "$ per month", "what triggers the next step"], rows)


def glance(plans):
    rows = []
    for p in plans:
        rows.append((p.label, f"{p.rate:,.0f}", p.metrics_tasks, p.events_store, usd(p.monthly)))
    return table(["load", "requests per second", "# collectors", "events store", "$ per month (on-demand)"], rows)


def ceilings_table(ceilings):
    rows = []
    for name in ("portal", "hardware", "metrics"):
        c = ceilings[name]
        bound = "the service (its CPU quota)" if c.bound == "service" else f"the {c.bound} on the same cores: a lower bound"
        rows.append((name, f"`{c.request}`", f"{c.cpu_vcpu:g} vCPU, {c.memory_mib / 1024:g} GiB",
                     f"**{c.ceiling_rps:,.0f}**", f"{c.p99_ms_at_ceiling:,.1f} / {c.max_ms_at_ceiling:,.0f} ms",
                     f"{c.cpu_us_per_request:,.0f}", f"{c.memory_base_mib:,.0f} / {c.memory_peak_mib:,.0f}", bound))
    return table(["service", "request", "task", "ceiling (req/s)", "p99 / max at the ceiling",
                  "CPU us per request", "memory idle / peak (MiB)", "what stopped it"], rows)

"""Charts for a reader who would rather look than read: plain SVG, linear axes, the SLA drawn.

No plotting library: the files are small, deterministic (CI compares them byte for byte with
what the model draws) and render in any browser or Markdown viewer.
"""

from html import escape

WIDTH, HEIGHT = 760, 380
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 48, 96
COLOURS = ["#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#718096"]


def _frame(title, y_label):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">',
        f'<title>{escape(title)}</title>',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text transform="translate(16 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">{escape(y_label)}</text>',
    ]


def _y_axis(parts, top_value, ticks, fmt):
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(ticks + 1):
        value = top_value * i / ticks
        y = HEIGHT - BOTTOM - plot_h * i / ticks
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(value))}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#4a5568"/>')


def _legend(parts, names):
    x = LEFT
    for i, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="{HEIGHT - 22}" width="12" height="12" fill="{COLOURS[i]}"/>')
        parts.append(f'<text x="{x + 16}" y="{HEIGHT - 12}">{escape(name)}</text>')
        x += 24 + 7 * len(name)


def latency_against_sla(runs, sla_ms=1000):
    """runs: [(label, p99_ms, max_ms)]: two bars each, and the SLA as a red line."""
    top = max([sla_ms * 1.2] + [r[2] * 1.1 for r in runs])
    top = 200 * -(-top // 200)
    parts = _frame("Slowest responses in each measured run, against the 1 s SLA", "milliseconds")
    _y_axis(parts, top, 6, lambda v: f"{v:,.0f}")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(runs)
    bar = min(28, slot / 3)
    for i, (label, p99, worst) in enumerate(runs):
        x0 = LEFT + slot * i + slot / 2 - bar
        for j, value in enumerate((p99, worst)):
            h = plot_h * value / top
            x = x0 + j * bar
            parts.append(f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="{COLOURS[j]}"/>')
            parts.append(f'<text x="{x + bar / 2 - 1:.1f}" y="{HEIGHT - BOTTOM - h - 4:.1f}" text-anchor="middle" font-size="10">{value:,.0f}</text>')
        for k, line in enumerate(label.split("\n")):
            parts.append(f'<text x="{LEFT + slot * i + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 16 + 13 * k}" text-anchor="middle" font-size="11">{escape(line)}</text>')
    y = HEIGHT - BOTTOM - plot_h * sla_ms / top
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e53e3e" stroke-width="2" stroke-dasharray="8 4"/>')
    parts.append(f'<text x="{WIDTH - RIGHT - 4}" y="{y - 6:.1f}" text-anchor="end" fill="#e53e3e" font-weight="bold">SLA: every response within 1 s</text>')
    _legend(parts, ["p99 (1 in 100 slower)", "slowest response"])
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def monthly_cost_by_year(years):
    """years: [(label, {component: usd})]: stacked bars, the total on top."""
    components = list(years[0][1].keys())
    top_total = max(sum(c.values()) for _, c in years)
    step = 10 ** max(0, len(str(int(top_total))) - 1)
    top = step * -(-top_total * 1.15 // step)
    parts = _frame("Monthly cost on AWS (on-demand, us-east-1), year by year", "USD per month")
    _y_axis(parts, top, 5, lambda v: f"${v:,.0f}")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(years)
    bar = min(70, slot * 0.6)
    for i, (label, cost) in enumerate(years):
        x = LEFT + slot * i + (slot - bar) / 2
        y = HEIGHT - BOTTOM
        for j, name in enumerate(components):
            h = plot_h * cost[name] / top
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}"><title>{escape(name)}: ${cost[name]:,.0f}</title></rect>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" font-weight="bold">${sum(cost.values()):,.0f}</text>')
        for k, line in enumerate(label.split("\n")):
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 16 + 13 * k}" text-anchor="middle" font-size="11">{escape(line)}</text>')
    _legend(parts, components)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"

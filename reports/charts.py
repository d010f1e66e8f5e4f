"""Charts drawn on the server as SVG: no JavaScript library, readable in print and in tests."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .base import Chart

PALETTE = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545", "#198754", "#6c757d", "#0dcaf0"]
WIDTH = 720
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 44


def _fmt(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:.1f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return value


def _frame(chart: Chart, body: list[str], height: int = HEIGHT) -> SafeString:
    legend = []
    x = LEFT
    for index, name in enumerate(chart.series):
        legend.append(
            f'<rect x="{x}" y="6" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="15" font-size="11">{escape(name)}</text>'
        )
        x += 24 + 7 * len(str(name)) + 12 * sum(1 for ch in str(name) if ord(ch) > 0x2E80)
    # Every label and title above went through escape(); the rest is numbers we formatted.
    return mark_safe(  # noqa: S308
        f'<svg class="report-chart" role="img" aria-label="{escape(chart.title)}" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">'
        f"<title>{escape(chart.title)}</title>{''.join(legend)}{''.join(body)}</svg>"
    )


def _axes(top: float, percent: bool) -> list[str]:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - plot_h * i / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{_fmt(value, percent)}</text>'
        )
    return parts


def _x_labels(labels: list[str], step_w: float) -> list[str]:
    every = max(1, int(len(labels) * 40 / (WIDTH - LEFT - RIGHT)) + 1)
    parts = []
    for i, label in enumerate(labels):
        if i % every:
            continue
        x = LEFT + step_w * (i + 0.5)
        parts.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="10" text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def _top(chart: Chart) -> float:
    values = [v or 0 for series in chart.series.values() for v in series]
    top = _nice_max(max(values, default=0))
    # Counts get whole-number ticks (0, 1, 2, 3, 4) however small they are.
    return top if chart.percent else max(top, 4)


def bar(chart: Chart) -> SafeString:
    top = _top(chart)
    n = max(1, len(chart.labels))
    step_w = (WIDTH - LEFT - RIGHT) / n
    k = max(1, len(chart.series))
    bar_w = step_w * 0.8 / k
    plot_h = HEIGHT - TOP - BOTTOM
    body = _axes(top, chart.percent)
    for s, (name, series) in enumerate(chart.series.items()):
        for i, value in enumerate(series):
            h = plot_h * (value or 0) / top
            x = LEFT + step_w * i + step_w * 0.1 + bar_w * s
            body.append(
                f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(chart.labels[i])} · {escape(name)}: '
                f"{_fmt(value or 0, chart.percent)}</title></rect>"
            )
    body += _x_labels(chart.labels, step_w)
    return _frame(chart, body)


def line(chart: Chart) -> SafeString:
    top = _top(chart)
    n = max(1, len(chart.labels))
    step_w = (WIDTH - LEFT - RIGHT) / n
    plot_h = HEIGHT - TOP - BOTTOM
    body = _axes(top, chart.percent)
    for s, (name, series) in enumerate(chart.series.items()):
        points = " ".join(
            f"{LEFT + step_w * (i + 0.5):.1f},{HEIGHT - BOTTOM - plot_h * (v or 0) / top:.1f}"
            for i, v in enumerate(series)
        )
        colour = PALETTE[s % len(PALETTE)]
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for i, v in enumerate(series):
            body.append(
                f'<circle cx="{LEFT + step_w * (i + 0.5):.1f}" cy="{HEIGHT - BOTTOM - plot_h * (v or 0) / top:.1f}" '
                f'r="2.5" fill="{colour}"><title>{escape(chart.labels[i])} · {escape(name)}: '
                f"{_fmt(v or 0, chart.percent)}</title></circle>"
            )
    body += _x_labels(chart.labels, step_w)
    return _frame(chart, body)


def horizontal(chart: Chart) -> SafeString:
    """Funnels and shares: one bar per label, widest first as given, the value at the end."""
    series = next(iter(chart.series.values()), [])
    row_h = 24
    height = TOP + row_h * max(1, len(chart.labels)) + 8
    top = max([v or 0 for v in series], default=0) or 1
    label_w = 150
    plot_w = WIDTH - label_w - 70
    body = []
    for i, (label, value) in enumerate(zip(chart.labels, series, strict=False)):
        y = TOP + row_h * i
        w = plot_w * (value or 0) / top
        x = label_w + (plot_w - w) / 2 if chart.kind == "funnel" else label_w
        body.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="11" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" '
            f'fill="{PALETTE[i % len(PALETTE)] if chart.kind != "funnel" else PALETTE[0]}" opacity="0.85"/>'
            f'<text x="{label_w + plot_w + 6}" y="{y + 15}" font-size="11">{_fmt(value or 0, chart.percent)}</text>'
        )
    return _frame(chart, body, height)


def render(chart: Chart | None) -> SafeString:
    if chart is None or not chart.labels:
        return mark_safe("")
    if chart.kind == "line":
        return line(chart)
    if chart.kind in ("funnel", "share"):
        return horizontal(chart)
    return bar(chart)

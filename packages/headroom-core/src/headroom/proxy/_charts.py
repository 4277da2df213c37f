"""Hand-written SVG charts for the dashboard: no script, no external asset, readable at a glance.

Every bar carries its figure in a ``data-value`` attribute and a ``<title>`` tooltip, so the page
shows (and a test reads) exactly the numbers it was given.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

__all__ = ["PALETTE", "bucket_seconds", "hbars", "stacked_bars"]

PALETTE = ("#2f6fdf", "#e0852b", "#3aa35b", "#c94c4c", "#8a5cc7", "#2aa3a3", "#b59a2a", "#777777")
_STEPS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400)


def bucket_seconds(span: float, *, max_buckets: int = 48) -> int:
    """The smallest round bucket width that splits ``span`` seconds into at most ``max_buckets``."""
    return next((s for s in _STEPS if span / s <= max_buckets), _STEPS[-1])


def _label(ts: float, step: int) -> str:
    fmt = "%H:%M:%S" if step < 60 else "%H:%M" if step < 86400 else "%m-%d"
    return datetime.fromtimestamp(ts, timezone.utc).strftime(fmt)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def stacked_bars(
    buckets: Sequence[float],
    series: Mapping[str, Sequence[int]],
    *,
    step: int,
    unit: str,
    chart_id: str,
    width: int = 860,
    height: int = 220,
) -> str:
    """Stacked bars over time: one bar per bucket start, one colour per series, and a legend."""
    if not buckets or not series:
        return f'<p class="empty" id="{_esc(chart_id)}">nothing recorded yet</p>'
    totals = [sum(max(v[i], 0) for v in series.values()) for i in range(len(buckets))]
    top = max(max(totals), 1)
    left, plot_h = 56, height - 34
    slot = (width - left - 8) / len(buckets)
    bar_w = min(max(slot * 0.8, 1.0), 36.0)
    out = [
        f'<svg id="{_esc(chart_id)}" class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_esc(unit)} over time">',
        f'<line x1="{left}" y1="{12 + plot_h}" x2="{width - 8}" y2="{12 + plot_h}" class="axis"/>',
        f'<text x="{left - 6}" y="16" class="tick" text-anchor="end">{top:,}</text>',
        f'<text x="{left - 6}" y="{12 + plot_h}" class="tick" text-anchor="end">0</text>',
    ]
    for i, start in enumerate(buckets):
        x, y = left + i * slot + (slot - bar_w) / 2, float(12 + plot_h)
        for n, (name, values) in enumerate(series.items()):
            v = max(values[i], 0)
            if not v:
                continue
            h = v / top * plot_h
            y -= h
            title = f"{name}: {values[i]:,} {unit} ({_label(start, step)} UTC)"
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{PALETTE[n % 8]}" '
                f'data-series="{_esc(name)}" data-value="{values[i]}"><title>{_esc(title)}</title></rect>'
            )
    for i in sorted({0, len(buckets) // 2, len(buckets) - 1}):
        x = left + i * slot + slot / 2
        out.append(
            f'<text x="{x:.1f}" y="{height - 4}" class="tick" text-anchor="middle">{_label(buckets[i], step)}</text>'
        )
    out.append("</svg>")
    legend = "".join(
        f'<span class="key"><i style="background:{PALETTE[n % 8]}"></i>{_esc(name)}: {sum(v):,}</span>'
        for n, (name, v) in enumerate(series.items())
    )
    return "".join(out) + f'<div class="legend">{legend}</div>'


def hbars(values: Mapping[str, int], *, unit: str, chart_id: str, width: int = 420) -> str:
    """Horizontal bars, one per name, longest first."""
    if not values:
        return f'<p class="empty" id="{_esc(chart_id)}">nothing recorded yet</p>'
    items = sorted(values.items(), key=lambda kv: -kv[1])
    top = max(max(v for _, v in items), 1)
    row, label_w = 22, 150
    height = row * len(items) + 4
    out = [
        f'<svg id="{_esc(chart_id)}" class="chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_esc(unit)} per name">'
    ]
    for n, (name, v) in enumerate(items):
        y = n * row + 2
        w = max(v, 0) / top * (width - label_w - 90)
        out.append(
            f'<text x="{label_w - 6}" y="{y + 15}" class="tick" text-anchor="end">{_esc(name[:22])}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" fill="{PALETTE[n % 8]}" '
            f'data-series="{_esc(name)}" data-value="{v}"><title>{_esc(name)}: {v:,} {_esc(unit)}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="tick">{v:,}</text>'
        )
    out.append("</svg>")
    return "".join(out)

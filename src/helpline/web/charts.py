"""Charts drawn on the server as SVG markup, for pages that show series over intervals.

Pages allow no inline script (CSP), and a chart that arrives with the HTML needs no script at all:
it prints, it works without JavaScript, and a test can read it. Each series is a line, a step line
or bars; the chart carries a title and a legend, and every point a <title> tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

Kind = Literal["line", "step", "bar", "area"]

MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 48, 12, 12, 28
MAX_X_LABELS = 12


@dataclass(frozen=True, slots=True)
class ChartSeries:
    """One series: `values` has one number (or None: no data) per label of the chart.

    `tone` picks the colour from the stylesheet (.chart .tone-<tone>): primary, secondary,
    good, warn, bad, muted."""

    name: str
    values: Sequence[float | None]
    kind: Kind = "line"
    tone: str = "primary"


def _nice_ceiling(value: float) -> float:
    """A round number at or above `value` for the top of the axis (1, 2, 2.5, 5 x 10^k)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or value == int(value) else f"{value:,.2f}".rstrip("0").rstrip(".")


def chart(
    labels: Sequence[str],
    series: Sequence[ChartSeries],
    *,
    title: str,
    y_label: str = "",
    width: int = 900,
    height: int = 240,
    y_max: float | None = None,
) -> Markup:
    """An SVG chart of `series` over `labels` (interval starts, days...), with legend and axis."""
    count = len(labels)
    if any(len(s.values) != count for s in series):
        raise ValueError("every series needs one value per label")
    finite = [v for s in series for v in s.values if v is not None and math.isfinite(v)]
    top = _nice_ceiling(y_max if y_max is not None else max(finite, default=0.0))
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = height - MARGIN_TOP - MARGIN_BOTTOM
    step = plot_w / max(count, 1)

    def x(i: float) -> float:
        return MARGIN_LEFT + i * step

    def y(v: float) -> float:
        return MARGIN_TOP + plot_h * (1 - min(max(v, 0.0), top) / top)

    parts: list[str] = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for tick in range(5):  # horizontal grid with values
        value = top * tick / 4
        level = f"{y(value):.1f}"
        parts.append(
            f'<line class="grid" x1="{MARGIN_LEFT}" x2="{width - MARGIN_RIGHT}" y1="{level}" y2="{level}"/>'
            f'<text class="axis" x="{MARGIN_LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{_fmt(value)}</text>'
        )
    if y_label:
        parts.append(f'<text class="axis" x="4" y="{MARGIN_TOP - 2}">{escape(y_label)}</text>')
    every = max(1, math.ceil(count / MAX_X_LABELS))
    for i in range(0, count, every):
        parts.append(f'<text class="axis" x="{x(i):.1f}" y="{height - 8}">{escape(labels[i])}</text>')

    bars = [s for s in series if s.kind == "bar"]
    bar_w = step * 0.8 / max(len(bars), 1)
    for b, s in enumerate(bars):
        for i, v in enumerate(s.values):
            if v is None or not math.isfinite(v):
                continue
            left = x(i) + step * 0.1 + b * bar_w
            parts.append(
                f'<rect class="tone-{escape(s.tone)}" x="{left:.1f}" y="{y(v):.1f}" width="{bar_w:.1f}" '
                f'height="{y(0) - y(v):.1f}"><title>{escape(s.name)} {escape(labels[i])}: {_fmt(v)}</title></rect>'
            )
    for s in series:
        if s.kind == "bar":
            continue
        points: list[str] = []
        for i, v in enumerate(s.values):
            if v is None or not math.isfinite(v):
                continue
            if s.kind == "step":
                points += [f"{x(i):.1f},{y(v):.1f}", f"{x(i + 1):.1f},{y(v):.1f}"]
            else:
                points.append(f"{x(i + 0.5):.1f},{y(v):.1f}")
        if not points:
            continue
        if s.kind == "area":
            first, last = points[0].split(",")[0], points[-1].split(",")[0]
            polygon = " ".join([f"{first},{y(0):.1f}", *points, f"{last},{y(0):.1f}"])
            parts.append(f'<polygon class="area tone-{escape(s.tone)}" points="{polygon}"/>')
        else:
            parts.append(f'<polyline class="line tone-{escape(s.tone)}" points="{" ".join(points)}"/>')
    parts.append("</svg>")
    legend = "".join(f'<li><span class="swatch tone-{escape(s.tone)}"></span>{escape(s.name)}</li>' for s in series)
    return Markup(
        f'<figure class="chart-figure"><figcaption>{escape(title)}</figcaption>{"".join(parts)}'
        f'<ul class="legend">{legend}</ul></figure>'
    )

"""Line charts as inline SVG: no script, no font or file fetched, readable offline."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    title: str,
    y_range: tuple[float, float] | None = None,
    y_format: Callable[[float], str] = lambda v: f"{v:.3g}",
    marker: int | None = None,
    width: int = 720,
    height: int = 280,
    x_title: str = "",
    y_title: str = "",
) -> str:
    """Up to eight series over the same labels; `marker` draws a dashed line at that label
    (a treatment date, say). The value axis runs between round ticks; the labels shown are
    spaced so they never run into each other; `x_title` and `y_title` name the axes."""
    left, bottom, top = 62, 52, 24
    plot_w, plot_h = width - left - 170, height - bottom - top
    known = [v for values in series.values() for v in values if v is not None]
    low, high = y_range or ((min(known), max(known)) if known else (0.0, 1.0))
    if high == low:
        high = low + 1.0
    ticks = round_ticks(low, high)
    if not y_range:
        low, high = min(low, ticks[0]), max(high, ticks[-1])

    def y_of(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    step = plot_w / max(1, len(labels) - 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#f7f9fb"/>',
    ]
    for value in ticks:
        y = y_of(value)
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dde3ea"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">'
            f"{escape(y_format(value))}</text>"
        )
    # a label is about 6 px a character at 10 px (CJK twice that); leave a gap of 10 px
    widest = max((_text_width(label) for label in labels), default=0.0) + 10
    every = max(1, math.ceil(widest / step)) if len(labels) > 1 else 1
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - bottom + 16}" font-size="10" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    if x_title:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 8}" font-size="11" '
            f'text-anchor="middle" fill="#5b6b7b">{escape(x_title)}</text>'
        )
    if y_title:
        parts.append(
            f'<text x="{left - 6}" y="{top - 10}" font-size="11" text-anchor="start" '
            f'fill="#5b6b7b">{escape(y_title)}</text>'
        )
    if marker is not None:
        x = left + marker * step
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" '
            'stroke="#5b6b7b" stroke-dasharray="4 3"/>'
        )
    for n, (key, values) in enumerate(list(series.items())[: len(COLOURS)]):
        colour = COLOURS[n]
        points = [
            f"{left + i * step:.1f},{y_of(v):.1f}" for i, v in enumerate(values) if v is not None
        ]
        if len(points) > 1:
            parts.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(points)}"/>'
            )
        if len(points) <= 60:
            for point in points:
                cx, cy = point.split(",")
                parts.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{colour}"/>')
        parts.append(
            f'<rect x="{left + plot_w + 14}" y="{top + 4 + n * 18}" width="10" height="10" '
            f'fill="{colour}"/><text x="{left + plot_w + 30}" y="{top + 13 + n * 18}" '
            f'font-size="12">{escape(key)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def round_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Values of 1, 2 or 5 × 10^k covering [low, high] in about `count` steps."""
    raw = (high - low) / count or 1.0
    power = 10 ** math.floor(math.log10(raw))
    step = next(m for m in (1, 2, 5, 10) if raw / power <= m) * power
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return [round(first + i * step, 12) for i in range(round((last - first) / step) + 1)]


def _text_width(text: str) -> float:
    return sum(11.0 if ord(ch) > 0x2E80 else 6.0 for ch in text)

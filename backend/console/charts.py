"""Charts as inline SVG drawn on the server: no script, no font and nothing from another site.

Each function returns markup ready to place in a page; every label is escaped. Colours and
fonts come from the console's stylesheet through classes, so the charts follow the page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    note: str = ""  # shown after the value (a share, a drop-off)
    emphasis: bool = False


def _n(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def radar(axes: Sequence[tuple[str, float]], *, title: str, size: int = 260) -> Markup:
    """A radar (spider) chart of scores 0–100, one axis per item, the first at the top."""
    if not axes:
        return Markup("")
    side, edge = 130, 36  # room for the labels beside and above or below the chart
    radius = size / 2
    cx, cy = side + radius, edge + radius
    count = len(axes)

    def point(index: int, value: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * index / count
        r = radius * max(0.0, min(value, 110.0)) / 100
        return cx + r * math.cos(angle), cy + r * math.sin(angle)

    parts = [f'<svg class="chart radar" width="{size + 2 * side}" viewBox="0 0 {size + 2 * side} {size + 2 * edge}" '
             f'role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for ring in (25, 50, 75, 100):
        ring_points = " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(i, ring) for i in range(count)))
        parts.append(f'<polygon class="grid" points="{ring_points}"/>')
    for i, (label, value) in enumerate(axes):
        x, y = point(i, 100)
        parts.append(f'<line class="axis" x1="{_n(cx)}" y1="{_n(cy)}" x2="{_n(x)}" y2="{_n(y)}"/>')
        lx, ly = point(i, 108)
        anchor = "middle" if abs(lx - cx) < 8 else ("start" if lx > cx else "end")
        ly += 14 if ly > cy + 8 else (-4 if ly < cy - 8 else 4)
        parts.append(f'<text class="label" x="{_n(lx)}" y="{_n(ly)}" text-anchor="{anchor}">'
                     f'{escape(label)} {_n(value)}</text>')
    shape = " ".join(f"{_n(x)},{_n(y)}" for x, y in (point(i, v) for i, (_, v) in enumerate(axes)))
    parts.append(f'<polygon class="score" points="{shape}"/>')
    for i, (_, value) in enumerate(axes):
        x, y = point(i, value)
        parts.append(f'<circle class="dot" cx="{_n(x)}" cy="{_n(y)}" r="3"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bars(items: Sequence[Bar], *, title: str, width: int = 600, unit: str = "") -> Markup:
    """Horizontal bars, one row per item, scaled to the largest value."""
    row, label_width = 24, 250
    height = max(1, len(items)) * row + 10
    top = max((b.value for b in items), default=0) or 1
    span = width - label_width - 150
    parts = [f'<svg class="chart bars" width="{width}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}">'
             f'<title>{escape(title)}</title>']
    for i, bar in enumerate(items):
        y = 5 + i * row
        length = span * bar.value / top
        css = "bar emphasis" if bar.emphasis else "bar"
        parts.append(f'<text class="label" x="{label_width - 8}" y="{y + 16}" text-anchor="end">'
                     f'{escape(bar.label)}</text>')
        parts.append(f'<rect class="{css}" x="{label_width}" y="{y + 3}" width="{_n(max(length, 1))}" '
                     f'height="{row - 8}"/>')
        note = f" {bar.note}" if bar.note else ""
        parts.append(f'<text class="value" x="{_n(label_width + max(length, 1) + 6)}" y="{y + 16}">'
                     f'{escape(_n(bar.value) + unit + note)}</text>')
    if not items:
        parts.append('<text class="label" x="10" y="20">–</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def histogram(counts: Sequence[tuple[str, int, bool]], *, title: str, limit_label: str,
              limit_after: int | None, width: int = 520, height: int = 200) -> Markup:
    """Vertical bars (label, count, late?) with a dashed line after bucket ``limit_after``: the deadline."""
    left, bottom, top_pad = 30, 30, 20
    slots = max(1, len(counts))
    slot = (width - left - 10) / slots
    peak = max((c for _, c, _ in counts), default=0) or 1
    usable = height - bottom - top_pad
    parts = [f'<svg class="chart histogram" width="{width}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    parts.append(f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}"/>')
    for i, (label, count, late) in enumerate(counts):
        h = usable * count / peak
        x = left + i * slot + 3
        css = "bar late" if late else "bar"
        parts.append(f'<rect class="{css}" x="{_n(x)}" y="{_n(height - bottom - h)}" width="{_n(slot - 6)}" '
                     f'height="{_n(max(h, 0.5))}"/>')
        if count:
            parts.append(f'<text class="value" x="{_n(x + (slot - 6) / 2)}" y="{_n(height - bottom - h - 4)}" '
                         f'text-anchor="middle">{count}</text>')
        parts.append(f'<text class="label" x="{_n(x + (slot - 6) / 2)}" y="{height - bottom + 16}" '
                     f'text-anchor="middle">{escape(label)}</text>')
    if limit_after is not None:
        x = left + (limit_after + 1) * slot
        parts.append(f'<line class="limit" x1="{_n(x)}" y1="{top_pad - 10}" x2="{_n(x)}" y2="{height - bottom}"/>')
        parts.append(f'<text class="limit-label" x="{_n(x + 4)}" y="{top_pad - 2}">{escape(limit_label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

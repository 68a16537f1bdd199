"""Inline SVG charts for the tearsheet: no script, no fonts or files to fetch."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

WIDTH, HEIGHT = 1000, 280
LEFT, RIGHT, TOP, BOTTOM = 70, 20, 30, 34
AXIS_COLOR, GRID_COLOR, TEXT_COLOR = "#57606a", "#d8dee4", "#24292f"


@dataclass(frozen=True, slots=True)
class Line:
    """One series of a line chart: its label, values and stroke colour."""

    label: str
    values: FloatArray
    color: str


def _nice_step(span: float, count: int) -> float:
    raw = span / max(count, 1)
    magnitude = 10.0 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10.0 * magnitude


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if not high > low:
        return [low]
    step = _nice_step(high - low, count)
    first = math.ceil(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(0.0 if abs(value) < step * 1e-9 else value)
        value += step
    return ticks


def _date(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d")


def decimate(x: IntArray, y: FloatArray, buckets: int) -> tuple[IntArray, FloatArray]:
    """Keeps each bucket's first, lowest, highest and last points, so peaks survive thinning."""
    n = x.shape[0]
    if n <= 4 * buckets:
        return x, y
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep: list[int] = []
    for start, stop in itertools.pairwise(edges.tolist()):
        if stop <= start:
            continue
        part = y[start:stop]
        picks = {start, stop - 1, start + int(np.argmin(part)), start + int(np.argmax(part))}
        keep.extend(sorted(picks))
    index = np.asarray(keep, dtype=np.int64)
    return x[index], y[index]


class _Frame:
    """Maps data to pixels inside the plot area and draws the axes."""

    def __init__(self, x_low: float, x_high: float, y_low: float, y_high: float) -> None:
        if not y_high > y_low:
            pad = abs(y_low) * 0.05 or 1.0
            y_low, y_high = y_low - pad, y_high + pad
        self.x_low, self.x_high = x_low, (x_high if x_high > x_low else x_low + 1.0)
        self.y_low, self.y_high = y_low, y_high
        self.plot_w, self.plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(self, x: FloatArray) -> FloatArray:
        return LEFT + (x - self.x_low) / (self.x_high - self.x_low) * self.plot_w

    def py(self, y: FloatArray) -> FloatArray:
        return TOP + (self.y_high - y) / (self.y_high - self.y_low) * self.plot_h

    def y_axis(self, fmt: Callable[[float], str]) -> list[str]:
        parts = []
        for tick in _ticks(self.y_low, self.y_high):
            y = float(self.py(np.array([tick]))[0])
            parts.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{GRID_COLOR}" stroke-width="1"/>'
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(tick))}</text>'
            )
        return parts

    def time_axis(self) -> list[str]:
        parts = []
        for i in range(6):
            ns = self.x_low + (self.x_high - self.x_low) * i / 5
            x = float(self.px(np.array([ns]))[0])
            anchor = "start" if i == 0 else "end" if i == 5 else "middle"
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}">{_date(int(ns))}</text>'
            )
        return parts

    def border(self) -> str:
        return (
            f'<rect x="{LEFT}" y="{TOP}" width="{self.plot_w}" height="{self.plot_h}" '
            f'fill="none" stroke="{AXIS_COLOR}" stroke-width="1"/>'
        )


def _svg(body: Sequence[str], label: str, height: int = HEIGHT) -> str:
    return (
        f'<svg viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{escape(label)}" '
        f'font-family="sans-serif" font-size="12" fill="{TEXT_COLOR}">' + "".join(body) + "</svg>"
    )


def _points(frame: _Frame, x: IntArray, y: FloatArray) -> str:
    xs, ys = frame.px(x.astype(np.float64)), frame.py(y)
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(xs, ys, strict=True))


def line_chart(
    times: IntArray,
    lines: Sequence[Line],
    *,
    label: str,
    fmt: Callable[[float], str],
    baseline: float | None = None,
) -> str:
    """A time-series chart of one or more lines (NaN values are left out of the scale)."""
    finite = [line.values[np.isfinite(line.values)] for line in lines]
    values = np.concatenate(finite) if finite else np.zeros(0)
    if values.shape[0] == 0 or times.shape[0] == 0:
        return _svg([f'<text x="{LEFT}" y="40">no data</text>'], label)
    low, high = float(values.min()), float(values.max())
    if baseline is not None:
        low, high = min(low, baseline), max(high, baseline)
    pad = (high - low) * 0.04
    frame = _Frame(float(times[0]), float(times[-1]), low - pad, high + pad)
    body = frame.y_axis(fmt) + frame.time_axis()
    if baseline is not None:
        level = float(frame.py(np.array([baseline]))[0])
        body.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{level:.1f}" y2="{level:.1f}" '
            f'stroke="{AXIS_COLOR}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
    for index, line in enumerate(lines):
        ok = np.isfinite(line.values)
        x, y = decimate(times[ok], line.values[ok], frame.plot_w)
        body.append(
            f'<polyline class="series" fill="none" stroke="{line.color}" stroke-width="2" '
            f'stroke-linejoin="round" points="{_points(frame, x, y)}"/>'
        )
        legend_x = LEFT + 12 + index * 170
        body.append(
            f'<rect x="{legend_x}" y="{TOP - 16}" width="14" height="4" fill="{line.color}"/>'
            f'<text x="{legend_x + 20}" y="{TOP - 10}">{escape(line.label)}</text>'
        )
    body.append(frame.border())
    return _svg(body, label)


def area_chart(
    times: IntArray, values: FloatArray, *, label: str, color: str, fmt: Callable[[float], str]
) -> str:
    """A filled area between zero and ``values`` (the underwater curve)."""
    if times.shape[0] == 0:
        return _svg([f'<text x="{LEFT}" y="40">no data</text>'], label)
    low = min(float(values.min()), 0.0)
    frame = _Frame(float(times[0]), float(times[-1]), low * 1.05 if low < 0 else -0.01, 0.0)
    x, y = decimate(times, values, frame.plot_w)
    zero = float(frame.py(np.array([0.0]))[0])
    xs = frame.px(x.astype(np.float64))
    outline = _points(frame, x, y)
    polygon = f"{xs[0]:.1f},{zero:.1f} {outline} {xs[-1]:.1f},{zero:.1f}"
    body = frame.y_axis(fmt) + frame.time_axis()
    body.append(
        f'<polygon class="series" fill="{color}" fill-opacity="1" stroke="{color}" '
        f'stroke-width="1" points="{polygon}"/>'
    )
    body.append(frame.border())
    return _svg(body, label)


def histogram(
    values: FloatArray,
    *,
    label: str,
    color: str,
    fmt: Callable[[float], str],
    bins: int = 60,
    marker: tuple[float, str, str] | None = None,
) -> str:
    """Counts of ``values`` in equal-width bins; ``marker`` draws a labelled vertical line.

    Returns beyond the 0.5% and 99.5% quantiles are counted in the end bins, so
    a few extreme minutes do not squeeze the body of the distribution into one bar.
    """
    if values.shape[0] == 0:
        return _svg([f'<text x="{LEFT}" y="40">no data</text>'], label)
    low, high = (float(q) for q in np.quantile(values, [0.005, 0.995]))
    if high > low:
        values = np.clip(values, low, high)
    counts, edges = np.histogram(values, bins=bins)
    frame = _Frame(float(edges[0]), float(edges[-1]), 0.0, float(counts.max()) * 1.05)
    body = frame.y_axis(lambda v: f"{v:,.0f}")
    for tick in _ticks(float(edges[0]), float(edges[-1]), 6):
        x = float(frame.px(np.array([tick]))[0])
        body.append(f'<text x="{x:.1f}" y="{HEIGHT - 10}" text-anchor="middle">{fmt(tick)}</text>')
    lefts, rights = frame.px(edges[:-1]), frame.px(edges[1:])
    tops = frame.py(counts.astype(np.float64))
    base = float(frame.py(np.array([0.0]))[0])
    for left, right, top in zip(lefts, rights, tops, strict=True):
        if base - top < 0.05:
            continue
        body.append(
            f'<rect class="series" x="{left + 0.5:.1f}" y="{top:.1f}" '
            f'width="{max(right - left - 1.0, 1.0):.1f}" height="{base - top:.1f}" fill="{color}"/>'
        )
    if marker is not None:
        value, text, marker_color = marker
        x = float(frame.px(np.array([value]))[0])
        body.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{base:.1f}" stroke="{marker_color}" '
            f'stroke-width="2" stroke-dasharray="5 3"/>'
            f'<text x="{x + 4:.1f}" y="{TOP + 14}" fill="{marker_color}">{escape(text)}</text>'
        )
    body.append(frame.border())
    return _svg(body, label)


def diverging_color(value: float, scale: float, negative: str, positive: str) -> str:
    """White at zero, shading to ``negative``/``positive`` at ``-scale``/``+scale``."""
    if not math.isfinite(value) or scale <= 0:
        return "#ffffff"
    share = min(abs(value) / scale, 1.0)
    target = positive if value >= 0 else negative
    rgb = [int(target[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 + (c - 255) * share) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


def heatmap(
    rows: Sequence[str],
    columns: Sequence[str],
    cells: Sequence[Sequence[float | None]],
    *,
    label: str,
    negative: str,
    positive: str,
    fmt: Callable[[float], str],
    own_scale_last: bool = False,
) -> str:
    """A grid of coloured, labelled cells (None cells stay blank).

    Colours scale with the largest magnitude; with ``own_scale_last`` the last
    column (a yearly total) is scaled apart so that it does not wash out the rest.
    """
    cell_w, cell_h, head, side = 70, 30, 24, 60
    width = side + cell_w * len(columns)
    height = head + cell_h * max(len(rows), 1) + 4
    split = len(columns) - 1 if own_scale_last else len(columns)

    def largest(values: list[float | None]) -> float:
        finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
        return max(finite) if finite else 0.0

    body_scale = largest([v for row in cells for v in row[:split]])
    last_scale = largest([v for row in cells for v in row[split:]])
    body = []
    for j, name in enumerate(columns):
        x = side + j * cell_w + cell_w / 2
        body.append(f'<text x="{x:.0f}" y="16" text-anchor="middle">{escape(name)}</text>')
    for i, (row_name, row) in enumerate(zip(rows, cells, strict=True)):
        y = head + i * cell_h
        body.append(
            f'<text x="{side - 8}" y="{y + 20}" text-anchor="end">{escape(row_name)}</text>'
        )
        for j, value in enumerate(row):
            x = side + j * cell_w
            if value is None:
                body.append(
                    f'<rect x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                    f'fill="#f6f8fa"/>'
                )
                continue
            scale = body_scale if j < split else last_scale
            color = diverging_color(value, scale, negative, positive)
            body.append(
                f'<rect class="cell" x="{x}" y="{y}" width="{cell_w - 2}" height="{cell_h - 2}" '
                f'fill="{color}"/><text x="{x + cell_w / 2 - 1:.0f}" y="{y + 19}" '
                f'text-anchor="middle">{escape(fmt(value))}</text>'
            )
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(label)}" '
        f'font-family="sans-serif" font-size="12" fill="{TEXT_COLOR}">' + "".join(body) + "</svg>"
    )


__all__ = [
    "Line",
    "area_chart",
    "decimate",
    "diverging_color",
    "heatmap",
    "histogram",
    "line_chart",
]

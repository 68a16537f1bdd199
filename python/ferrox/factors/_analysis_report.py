"""The HTML report of a factor analysis: tables and inline SVG charts, nothing to fetch."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from ferrox import __version__
from ferrox.data.catalog import atomic_output
from ferrox.report import svg

# The tearsheet's frame (axes, grid, scale) serves the bar charts as well.
from ferrox.report.svg import _Frame, _svg

if TYPE_CHECKING:
    from ferrox.factors.analysis import FactorAnalysis

#: One colour per series, in order (horizons, or IC then rank IC).
PALETTE = ("#0969da", "#bc4c00", "#1a7f37", "#8250df", "#cf222e", "#57606a")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;
background:#ffffff;color:#24292f}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;
border-bottom:1px solid #d8dee4;padding-bottom:4px}h3{font-size:14px;margin:16px 0 4px}
.meta{color:#57606a;font-size:13px;margin:0}
table{border-collapse:collapse;font-size:13px;margin:8px 0}
td,th{padding:4px 10px;border-bottom:1px solid #eaeef2;text-align:right;
font-variant-numeric:tabular-nums}
th{color:#57606a;font-weight:600}
svg{display:block;max-width:100%;height:auto}
footer{color:#57606a;font-size:12px;margin-top:32px}
"""


def _fmt(value: object, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _table(frame: pl.DataFrame, headers: Sequence[str], pct: Sequence[str] = ()) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in frame.iter_rows():
        cells = []
        for name, value in zip(frame.columns, row, strict=True):
            text = (
                _fmt(value * 100, 3) + "%"
                if name in pct and isinstance(value, float) and math.isfinite(value)
                else _fmt(value)
            )
            cells.append(f"<td>{escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    label: str,
    fmt: Callable[[float], str],
) -> str:
    """Grouped vertical bars from zero: one group per category, one bar per series."""
    values = [v for _, vs in series for v in vs if v is not None and math.isfinite(v)]
    if not values or not categories:
        return _svg([f'<text x="{svg.LEFT}" y="40">no data</text>'], label)
    low, high = min(*values, 0.0), max(*values, 0.0)
    pad = (high - low) * 0.06
    frame = _Frame(0.0, float(len(categories)), low - (pad if low < 0 else 0.0), high + pad)
    body = frame.y_axis(fmt)
    zero = float(frame.py(np.array([0.0]))[0])
    slot = frame.plot_w / len(categories)
    width = slot * 0.8 / max(len(series), 1)
    for j, name in enumerate(categories):
        center = svg.LEFT + slot * (j + 0.5)
        body.append(
            f'<text x="{center:.1f}" y="{svg.HEIGHT - 10}" text-anchor="middle">'
            f"{escape(name)}</text>"
        )
        for i, (_, vs) in enumerate(series):
            value = vs[j]
            if value is None or not math.isfinite(value):
                continue
            x = svg.LEFT + slot * (j + 0.1) + width * i
            top = float(frame.py(np.array([value]))[0])
            y, height = min(top, zero), abs(zero - top)
            body.append(
                f'<rect class="series" x="{x:.1f}" y="{y:.1f}" width="{max(width - 2, 1):.1f}" '
                f'height="{max(height, 0.5):.1f}" fill="{PALETTE[i % len(PALETTE)]}"/>'
            )
    for i, (name, _) in enumerate(series):
        legend_x = svg.LEFT + 12 + i * 170
        body.append(
            f'<rect x="{legend_x}" y="{svg.TOP - 16}" width="14" height="4" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{legend_x + 20}" y="{svg.TOP - 10}">{escape(name)}</text>'
        )
    body.append(
        f'<line x1="{svg.LEFT}" x2="{svg.WIDTH - svg.RIGHT}" y1="{zero:.1f}" y2="{zero:.1f}" '
        f'stroke="{svg.AXIS_COLOR}" stroke-width="1"/>'
    )
    body.append(frame.border())
    return _svg(body, label)


def _ns(frame: pl.DataFrame, time: str) -> svg.IntArray:
    """Times as int64 nanoseconds (integer times are taken to be nanoseconds already)."""
    col = frame[time]
    if col.dtype == pl.Date:
        col = col.cast(pl.Datetime("ns"))
    if col.dtype.is_temporal():
        col = col.dt.epoch("ns")
    return col.cast(pl.Int64).to_numpy()


def _floats(series: pl.Series) -> svg.FloatArray:
    return series.cast(pl.Float64).fill_null(float("nan")).to_numpy()


def _ic_charts(a: FactorAnalysis) -> list[str]:
    charts = []
    for h in a.horizons:
        ic = a.ic.filter(pl.col("horizon") == h).sort(a.time)
        n = ic.height
        window = max(2, min(22, n // 10))
        rolling = ic["ic"].rolling_mean(window, min_samples=1)
        lines = [
            svg.Line("IC", _floats(ic["ic"]), PALETTE[5]),
            svg.Line(f"IC, {window}-period mean", _floats(rolling), PALETTE[0]),
        ]
        charts.append(
            f"<h3>{h}-period forward return</h3>"
            + svg.line_chart(
                _ns(ic, a.time),
                lines,
                label=f"IC time series, horizon {h}",
                fmt=lambda v: f"{v:.2f}",
                baseline=0.0,
            )
        )
    return charts


def render_factor_report(analysis: FactorAnalysis, *, title: str | None = None) -> str:
    """The analysis as one self-contained HTML document (a string)."""
    a = analysis
    heading = title or f"Factor analysis: {a.factor}"
    summary = a.summary()
    sub = (
        f"{summary['instruments']:,} instruments · {summary['times']:,} times · "
        f"{summary['rows']:,} rows · horizons {', '.join(map(str, a.horizons))} periods · "
        f"{a.quantiles} quantiles" + (f" · neutralised within {a.group!r}" if a.group else "")
    )
    horizons = [f"{h}p" for h in a.horizons]
    decay = a.decay
    quantiles = [f"Q{q}" for q in range(1, a.quantiles + 1)]
    by_quantile: list[tuple[str, Sequence[float | None]]] = []
    for h in a.horizons:
        means = a.quantile_summary.filter(pl.col("horizon") == h)
        lookup = dict(zip(means["quantile"].to_list(), means["mean"].to_list(), strict=True))
        by_quantile.append(
            (
                f"{h} period{'s' if h > 1 else ''}",
                [lookup.get(q) for q in range(1, a.quantiles + 1)],
            )
        )
    curve_times = a.spread.filter(pl.col("horizon") == a.horizons[0]).sort(a.time)
    curves = [
        svg.Line(
            f"{h}-period holding",
            _floats(a.spread.filter(pl.col("horizon") == h).sort(a.time)["cumulative"]),
            PALETTE[i % len(PALETTE)],
        )
        for i, h in enumerate(a.horizons)
    ]
    pct: Callable[[float], str] = lambda v: f"{v * 100:.2f}%"  # noqa: E731
    autocorr = _fmt(summary["rank_autocorrelation_mean"])
    sections = [
        ("IC summary", _table(
            a.ic_summary,
            ["horizon", "periods", "IC mean", "IC std", "IC IR", "IC t",
             "rank IC mean", "rank IC std", "rank IC IR", "rank IC t"],
        )),
        ("IC decay (mean IC by horizon)", bar_chart(
            horizons,
            [("IC", decay["ic_mean"].to_list()), ("rank IC", decay["rank_ic_mean"].to_list())],
            label="IC decay", fmt=lambda v: f"{v:.3f}",
        )),
        ("IC over time", "".join(_ic_charts(a))),
        ("Mean forward return by quantile", bar_chart(
            quantiles, by_quantile, label="Quantile mean returns", fmt=pct
        ) + _table(
            a.quantile_summary,
            ["horizon", "quantile", "periods", "mean", "std", "IR", "t"],
            pct=["mean", "std"],
        )),
        ("Top minus bottom quantile", svg.line_chart(
            _ns(curve_times, a.time), curves, label="Cumulative spread",
            fmt=lambda v: f"{v:.3f}", baseline=1.0,
        ) + _table(
            a.spread_summary,
            ["horizon", "periods", "mean", "std", "IR", "t", "cumulative"],
            pct=["mean", "std"],
        )),
        ("Turnover and rank autocorrelation", _table(
            a.turnover_summary, ["quantile", "mean turnover"], pct=["mean_turnover"]
        ) + f"<p class='meta'>Mean rank autocorrelation (lag 1): {escape(autocorr)}</p>"),
    ]  # fmt: skip
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(heading)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{escape(heading)}</h1><p class='meta'>{escape(sub)}</p>",
        *(f"<section><h2>{escape(t)}</h2>{body}</section>" for t, body in sections),
        "<footer>Definitions in docs/factors.md, section Factor analysis. Forward returns are "
        f"simple returns over h periods of the price calendar. Report by ferrox {__version__}."
        "</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts)


def write_factor_report(
    analysis: FactorAnalysis, out_path: str | Path, *, title: str | None = None
) -> Path:
    """Writes :func:`render_factor_report` to ``out_path`` (atomically); returns the path."""
    out = Path(out_path)
    page = render_factor_report(analysis, title=title)
    with atomic_output(out) as temp:
        temp.write_text(page, encoding="utf-8")
    return out

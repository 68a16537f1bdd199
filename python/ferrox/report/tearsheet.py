"""The HTML tearsheet of a backtest: statistics and charts in one self-contained file.

Everything is inline (CSS and SVG; no script, no fonts, no links), so the page
opens offline and can be mailed or archived as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import numpy as np
import polars as pl

from ferrox import __version__
from ferrox.analytics import (
    MONTHS,
    Summary,
    backtest_stats,
    monthly_returns,
    rolling_sharpe,
    summarize,
)
from ferrox.analytics._inputs import NS_PER_YEAR, FloatArray, IntArray
from ferrox.analytics.drawdown import equity_episodes, equity_underwater
from ferrox.data.catalog import atomic_output
from ferrox.report import svg
from ferrox.report.results import Results, load_results, read_benchmark

#: The colour of each chart's marks (tests look for them in a screenshot).
CHART_COLORS = {
    "equity": "#0969da",
    "benchmark": "#8c959f",
    "drawdown": "#cf222e",
    "histogram": "#8250df",
    "rolling_sharpe": "#1a7f37",
    "var": "#bc4c00",
    "month_loss": "#f85149",
    "month_gain": "#2da44e",
}

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;
background:#ffffff;color:#24292f}
main{max-width:1040px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;
border-bottom:1px solid #d8dee4;padding-bottom:4px}
.meta{color:#57606a;font-size:13px;margin:0}
.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:16px}
table{border-collapse:collapse;font-size:13px;width:100%}
td,th{padding:4px 8px;border-bottom:1px solid #eaeef2;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th{color:#57606a;font-weight:600}
svg{display:block;max-width:100%;height:auto}
footer{color:#57606a;font-size:12px;margin-top:32px}
"""


def _pct(value: float, digits: int = 2) -> str:
    return "—" if not math.isfinite(value) else f"{value * 100:.{digits}f}%"


def _num(value: float, digits: int = 2) -> str:
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    return f"{value:,.{digits}f}"


def _date(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M")


def _table(title: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><td>{escape(k)}</td><td class='num'>{escape(v)}</td></tr>" for k, v in rows
    )
    return f"<div><table><tr><th colspan='2'>{escape(title)}</th></tr>{body}</table></div>"


def _aligned_benchmark(times: IntArray, benchmark: pl.DataFrame) -> FloatArray:
    """The benchmark's last price at or before each equity time (its first price before it starts)."""
    left = pl.DataFrame({"ts": times})
    joined = left.join_asof(benchmark.select("ts", "price"), on="ts", strategy="backward")
    prices = joined["price"].fill_null(strategy="backward").fill_null(strategy="forward")
    if prices.null_count() == prices.len():
        return np.full(times.shape[0], np.nan)
    return prices.cast(pl.Float64).to_numpy()


def _empty_trades() -> pl.DataFrame:
    return pl.DataFrame(
        schema={"pnl": pl.Float64, "quantity": pl.Float64, "entry_price": pl.Float64,
                "exit_price": pl.Float64}
    )  # fmt: skip


def _stat_tables(stats: dict[str, float], summary: Summary | None, benchmark: bool) -> str:
    s = summary
    nan = float("nan")
    tables = [
        _table(
            "Performance",
            [
                ("Total return", _pct(stats["total_return"])),
                ("Annual return (CAGR)", _pct(stats["annual_return"])),
                ("Volatility (annual)", _pct(stats["volatility"])),
                ("Sharpe", _num(stats["sharpe"])),
                ("Sortino", _num(stats["sortino"])),
                ("Calmar", _num(stats["calmar"])),
                ("Omega", _num(s.omega if s else nan)),
            ],
        ),
        _table(
            "Risk",
            [
                ("Max drawdown", _pct(stats["max_drawdown"])),
                ("Longest drawdown (days)", _num(stats["max_drawdown_duration_days"], 1)),
                ("VaR 95% (one period)", _pct(s.value_at_risk if s else nan, 3)),
                ("CVaR 95% (one period)", _pct(s.conditional_value_at_risk if s else nan, 3)),
                ("Skew", _num(s.skew if s else nan)),
                ("Excess kurtosis", _num(s.kurtosis if s else nan)),
                ("Tail ratio", _num(s.tail_ratio if s else nan)),
            ],
        ),
        _table(
            "Trading",
            [
                ("Trades", _num(stats["trades"], 0)),
                ("Win rate", _pct(stats["win_rate"], 1)),
                ("Profit factor", _num(stats["profit_factor"])),
                ("Expectancy (per trade)", _num(stats["expectancy"])),
                ("Turnover (times mean equity)", _num(stats["turnover"])),
                ("Exposure (time in market)", _pct(stats["exposure"], 1)),
                (
                    "Best / worst period",
                    f"{_pct(s.best if s else nan)} / {_pct(s.worst if s else nan)}",
                ),
            ],
        ),
    ]
    if benchmark and s is not None:
        tables.append(
            _table(
                "Against the benchmark",
                [
                    ("Alpha (annual)", _pct(s.alpha)),
                    ("Beta", _num(s.beta)),
                    ("Information ratio (per period)", _num(s.information_ratio, 3)),
                ],
            )
        )
    return "<div class='stats'>" + "".join(tables) + "</div>"


def _drawdown_table(values: FloatArray, times: IntArray) -> str:
    episodes = equity_episodes(values, times).sort("depth").head(5)
    if episodes.is_empty():
        return "<p class='meta'>No drawdown: equity never fell below a previous high.</p>"
    rows = []
    for row in episodes.iter_rows(named=True):
        recovery = row["recovery"]
        rows.append(
            "<tr>"
            f"<td>{_date(int(times[row['peak']]))}</td>"
            f"<td>{_date(int(times[row['valley']]))}</td>"
            f"<td>{'not yet' if recovery is None else _date(int(times[recovery]))}</td>"
            f"<td class='num'>{_pct(row['depth'])}</td>"
            f"<td class='num'>{_num(row['days'], 2)}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>Peak</th><th>Valley</th><th>Recovered</th>"
        "<th class='num'>Depth</th><th class='num'>Days</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{body}</section>"


def _rolling_window(count: int, periods: float) -> tuple[int, str]:
    """The longest of 30, 7 or 1 days that fits four times in the sample, else a tenth of it."""
    if not math.isfinite(periods) or count < 20:
        return 0, ""
    for days in (30, 7, 1):
        window = round(periods * days / 365)
        if 2 <= window <= count // 4:
            return window, f"{days} day{'s' if days > 1 else ''}, "
    return max(2, count // 10), ""


def _charts(
    times: IntArray,
    values: FloatArray,
    returns: FloatArray,
    periods: float,
    bench_prices: FloatArray | None,
    var_95: float,
) -> list[str]:
    c = CHART_COLORS
    pct: Callable[[float], str] = lambda v: f"{v * 100:.1f}%"  # noqa: E731
    lines = [svg.Line("Strategy", values, c["equity"])]
    if bench_prices is not None and np.isfinite(bench_prices[0]) and bench_prices[0] > 0:
        lines.append(
            svg.Line("Benchmark", bench_prices / bench_prices[0] * values[0], c["benchmark"])
        )
    sections = [
        _section(
            "Equity",
            svg.line_chart(times, lines, label="Equity curve", fmt=lambda v: f"{v:,.0f}"),
        ),
        _section(
            "Drawdown (underwater)",
            svg.area_chart(
                times,
                equity_underwater(values),
                label="Underwater curve",
                color=c["drawdown"],
                fmt=pct,
            ),
        ),
    ]
    if returns.shape[0] >= 1:
        table = monthly_returns(returns, times[1:])
        cells = [[row[m] for m in MONTHS] + [row["total"]] for row in table.iter_rows(named=True)]
        sections.append(
            _section(
                "Monthly returns",
                svg.heatmap(
                    [str(y) for y in table["year"].to_list()],
                    [*MONTHS, "Year"],
                    cells,
                    label="Monthly returns heatmap",
                    negative=c["month_loss"],
                    positive=c["month_gain"],
                    fmt=lambda v: f"{v * 100:.1f}%",
                    own_scale_last=True,
                ),
            )
        )
        marker = (
            (var_95, f"VaR 95% {var_95 * 100:.2f}%", c["var"]) if math.isfinite(var_95) else None
        )
        sections.append(
            _section(
                "Distribution of returns (per period)",
                svg.histogram(
                    returns,
                    label="Return distribution histogram",
                    color=c["histogram"],
                    fmt=lambda v: f"{v * 100:.2f}%",
                    marker=marker,
                ),
            )
        )
    window, span = _rolling_window(returns.shape[0], periods)
    if window:
        rolling = rolling_sharpe(returns, window, periods_per_year=periods)
        sections.append(
            _section(
                f"Rolling Sharpe ({span}{window:,} periods)",
                svg.line_chart(
                    times[1:],
                    [svg.Line("Rolling Sharpe", rolling, c["rolling_sharpe"])],
                    label="Rolling Sharpe",
                    fmt=lambda v: f"{v:.1f}",
                    baseline=0.0,
                ),
            )
        )
    return sections


def render_tearsheet(
    results: Results, *, benchmark: pl.DataFrame | None = None, title: str | None = None
) -> str:
    """The tearsheet of ``results`` as one HTML document (a string).

    ``benchmark`` has ``ts`` (int64 ns) and ``price``; it is aligned to the
    equity's times (last price at or before each) and adds its line and the
    alpha, beta and information ratio.
    """
    equity = results.equity
    times = equity["ts"].cast(pl.Int64).to_numpy()
    values = equity["equity"].cast(pl.Float64).to_numpy()
    trades = results.trades if results.trades is not None else _empty_trades()
    stats = backtest_stats(equity, trades, results.fills)
    periods = NS_PER_YEAR / float(np.median(np.diff(times))) if times.shape[0] > 1 else math.nan
    returns = np.diff(values) / values[:-1]
    bench_prices = _aligned_benchmark(times, benchmark) if benchmark is not None else None
    summary = None
    if returns.shape[0] >= 1 and math.isfinite(periods):
        bench_returns = None
        if (
            bench_prices is not None
            and np.isfinite(bench_prices).all()
            and (bench_prices > 0).all()
        ):
            bench_returns = np.diff(bench_prices) / bench_prices[:-1]
        summary = summarize(
            returns, periods_per_year=periods, benchmark=bench_returns, pnl=trades["pnl"]
        )
    meta = results.meta
    data = meta.get("data")
    data = data if isinstance(data, dict) else {}
    instruments = ", ".join(str(i) for i in data.get("instruments", [])) or "—"
    heading = title or f"Backtest tearsheet: {results.path.name}"
    sub = (
        f"{_date(int(times[0]))} → {_date(int(times[-1]))} UTC · {len(times):,} equity samples · "
        f"instruments: {instruments} · base currency: {meta.get('base_currency', '—')}"
    )
    provenance = (
        f"engine ferrox {meta.get('ferrox_version', '?')} · results hash "
        f"{meta.get('results_hash', '—')} · report by ferrox {__version__}"
    )
    var_95 = summary.value_at_risk if summary is not None else math.nan
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{escape(heading)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{escape(heading)}</h1><p class='meta'>{escape(sub)}</p>",
        f"<p class='meta'>{escape(provenance)}</p>",
        _section("Statistics", _stat_tables(stats, summary, bench_prices is not None)),
        *_charts(times, values, returns, periods, bench_prices, var_95),
        _section("Worst drawdowns", _drawdown_table(values, times)),
        "<footer>Figures by ferrox.analytics; definitions in docs/analytics.md. "
        "Returns are the equity's change per sample; years have 365 days.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts)


def write_tearsheet(
    results_dir: str | Path,
    out_path: str | Path,
    *,
    benchmark: str | Path | pl.DataFrame | None = None,
    title: str | None = None,
) -> Path:
    """Writes the tearsheet of a results folder to ``out_path`` (atomically); returns the path.

    ``benchmark`` is a file (Parquet or CSV with ``ts`` and ``close``) or a
    DataFrame with ``ts`` and ``price``.
    """
    results = load_results(results_dir)
    bench = read_benchmark(benchmark) if isinstance(benchmark, str | Path) else benchmark
    page = render_tearsheet(results, benchmark=bench, title=title)
    out = Path(out_path)
    with atomic_output(out) as temp:
        temp.write_text(page, encoding="utf-8")
    return out


__all__ = ["CHART_COLORS", "render_tearsheet", "write_tearsheet"]

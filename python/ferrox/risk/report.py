"""The risk report of a backtest results folder or of a positions file.

:func:`build_report` returns a JSON-ready dict; ``ferrox risk report`` prints it
as tables and writes it. A results folder follows the backtest results
contract: ``equity.parquet`` (``ts``, ``equity``) gives the account-level VaR;
``positions.parquet`` (``instrument``, ``quantity``, ``last_price``; the latest
row per instrument when it has ``ts``) gives exposures, stress and margin;
``meta.json`` gives the base currency.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ferrox.errors import DataError
from ferrox.risk.portfolio import Portfolio
from ferrox.risk.positions import positions_frame, read_positions, read_prices, resample_last
from ferrox.risk.stress import Scenario
from ferrox.risk.var import (
    Method,
    RiskEstimate,
    check_confidence,
    historical_var,
    monte_carlo_var,
    parametric_var,
)

METHODS: tuple[Method, ...] = ("historical", "parametric", "monte_carlo")


@dataclass
class ReportOptions:
    """What the report computes and how."""

    confidence: float = 0.99
    horizon: int = 1
    period: str | None = "1d"
    simulations: int = 100_000
    seed: int = 0
    scenarios: Sequence[Scenario] = ()
    groups: Mapping[str, str] = field(default_factory=dict)
    benchmark: str | None = None
    margin_rate: float | None = None
    equity: float | None = None
    base_currency: str = "USD"


def _estimates(
    compute: Mapping[str, RiskEstimate],
) -> dict[str, dict[str, float | int | str]]:
    return {name: est.as_dict() for name, est in compute.items()}


def _account_var(equity: pl.DataFrame, options: ReportOptions) -> dict[str, Any]:
    values = equity["equity"].to_numpy().astype(np.float64)
    if (values <= 0).any():
        row = int(np.argmax(values <= 0))
        raise DataError(
            f"equity.parquet: row {row}: equity {values[row]} is not positive, so returns are undefined"
        )
    returns = values[1:] / values[:-1] - 1.0
    if len(returns) < 2:
        raise DataError(
            f"equity.parquet: {len(values)} equity sample(s) after resampling to "
            f"{options.period or 'the raw clock'}; need at least 3 for a VaR"
        )
    last = float(values[-1])
    c, h = options.confidence, options.horizon
    return {
        "equity": last,
        "observations": len(returns),
        "var": _estimates(
            {
                "historical": historical_var(returns, c, h, value=last, compound=True),
                "parametric": parametric_var(returns, c, h, value=last),
                "monte_carlo": monte_carlo_var(
                    returns,
                    c,
                    h,
                    value=last,
                    simulations=options.simulations,
                    seed=options.seed,
                ),
            }
        ),
    }


def _portfolio_section(
    book: Portfolio, options: ReportOptions, equity: float | None
) -> dict[str, Any]:
    section: dict[str, Any] = {
        "positions": book.positions.select(
            "instrument", "quantity", "price", "currency", "market_value"
        ).to_dicts(),
        "exposure": book.totals(),
        "by_instrument": book.exposures("instrument").to_dicts(),
        "by_currency": book.exposures("currency").to_dicts(),
    }
    notes: list[str] = []
    try:
        section["by_venue"] = book.exposures("venue").to_dicts()
    except DataError as exc:
        notes.append(f"no exposure by venue: {exc}")
    if options.groups:
        section["by_group"] = book.exposures("group").to_dicts()
    if book.prices is not None:
        c, h = options.confidence, options.horizon
        section["var"] = _estimates(
            {
                method: book.value_at_risk(
                    c, h, method, simulations=options.simulations, seed=options.seed
                )
                for method in METHODS
            }
        )
        if options.benchmark is not None:
            section["benchmark"] = book.benchmark(options.benchmark).as_dict()
    if options.scenarios:
        section["stress"] = book.stress(options.scenarios).to_dicts()
    if options.margin_rate is not None:
        if equity is None:
            notes.append("no margin usage: give the account equity (--equity)")
        else:
            section["margin"] = book.margin(equity, default_rate=options.margin_rate).as_dict()
    section["notes"] = notes
    return section


def _results_positions(path: Path, base_currency: str) -> pl.DataFrame:
    frame = pl.read_parquet(path)
    missing = [c for c in ("instrument", "quantity", "last_price") if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(missing)} "
            f"(the results contract has instrument, quantity, avg_price, last_price)"
        )
    if "ts" in frame.columns:
        frame = frame.sort("ts").group_by("instrument", maintain_order=True).last()
    frame = frame.select("instrument", "quantity", pl.col("last_price").alias("price"))
    return positions_frame(frame, base_currency=base_currency, source=str(path))


def build_report(
    *,
    results: Path | None = None,
    positions: Path | None = None,
    prices: Path | None = None,
    options: ReportOptions | None = None,
) -> dict[str, Any]:
    """The risk report as a dict: account VaR (results), portfolio risk (positions)."""
    options = options or ReportOptions()
    check_confidence(options.confidence)
    if results is None and positions is None:
        raise DataError("risk report: give a results folder or --positions FILE")
    report: dict[str, Any] = {
        "confidence": options.confidence,
        "horizon": options.horizon,
        "period": options.period,
    }
    notes: list[str] = []
    price_table = read_prices(prices) if prices is not None else None
    base = options.base_currency
    equity_now = options.equity
    position_table: pl.DataFrame | None = None
    if results is not None:
        report["source"] = {"results": str(results)}
        if not results.is_dir():
            raise DataError(f"{results}: not a results folder (no such directory)")
        meta_path = results / "meta.json"
        if meta_path.is_file():
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            base = str(meta.get("base_currency", base))
        else:
            notes.append(f"{meta_path.name} missing: base currency taken as {base}")
        equity_path = results / "equity.parquet"
        if not equity_path.is_file():
            raise DataError(
                f"{results}: equity.parquet is missing (the account-level VaR needs its "
                "ts and equity columns)"
            )
        equity = pl.read_parquet(equity_path)
        missing = [c for c in ("ts", "equity") if c not in equity.columns]
        if missing:
            raise DataError(f"{equity_path}: missing column(s) {', '.join(missing)}")
        equity = equity.select("ts", "equity").sort("ts")
        if options.period is not None:
            equity = resample_last(equity, options.period)
        report["account"] = _account_var(equity, options)
        if equity_now is None:
            equity_now = report["account"]["equity"]
        positions_path = results / "positions.parquet"
        if positions_path.is_file():
            position_table = _results_positions(positions_path, base)
        elif options.scenarios:
            raise DataError(
                f"{results}: positions.parquet is missing (stress scenarios need the positions)"
            )
        else:
            notes.append("positions.parquet missing: no exposures, stress or margin")
    elif positions is not None:
        report["source"] = {"positions": str(positions), "prices": str(prices) if prices else None}
        position_table = read_positions(positions, base_currency=base)
        if price_table is None:
            notes.append("no --prices: no portfolio VaR or benchmark statistics")
    report["base_currency"] = base
    if position_table is not None:
        if position_table.is_empty():
            notes.append("no open positions")
        else:
            book = Portfolio(
                position_table,
                price_table,
                base_currency=base,
                groups=options.groups,
                period=options.period,
            )
            section = _portfolio_section(book, options, equity_now)
            notes.extend(section.pop("notes"))
            report["portfolio"] = section
    report["notes"] = notes
    cleaned: dict[str, Any] = _clean(report)
    return cleaned


def _clean(value: Any) -> Any:
    """NaN and infinities become None so the JSON is standard."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_report(report: Mapping[str, Any], path: Path) -> None:
    """Writes ``report`` as JSON to ``path`` through a temporary file (never half-written)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    tmp.replace(path)


__all__ = ["ReportOptions", "build_report", "write_report"]

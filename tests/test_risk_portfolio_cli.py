"""``ferrox risk report`` on a synthetic backtest results folder and on positions + prices files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from ferrox.cli import app

DAY = 86_400_000_000_000
MINUTE = 60_000_000_000


def write_results(folder: Path, *, positions: bool = True) -> np.ndarray:
    """A results folder on the contract: hourly equity over 200 days; returns daily closes."""
    folder.mkdir()
    rng = np.random.default_rng(4)
    hours = 200 * 24
    equity = 1e6 * np.cumprod(1 + rng.normal(0, 0.002, size=hours))
    ts = np.arange(hours, dtype=np.int64) * 60 * MINUTE
    pl.DataFrame(
        {"ts": ts, "equity": equity, "cash": equity * 0.5, "gross_exposure": equity * 0.5}
    ).write_parquet(folder / "equity.parquet")
    (folder / "meta.json").write_text(json.dumps({"base_currency": "USDT", "stats": {}}))
    if positions:
        pl.DataFrame(
            {
                "instrument": ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE"],
                "quantity": [3.0, -20.0],
                "avg_price": [48_000.0, 3_100.0],
                "last_price": [50_000.0, 3_000.0],
            }
        ).write_parquet(folder / "positions.parquet")
    return equity[23::24]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_report_of_a_results_folder_has_the_account_var_of_daily_equity_returns(
    tmp_path: Path,
) -> None:
    daily = write_results(tmp_path / "run")
    out = tmp_path / "report.json"
    code, output = run(
        "risk", "report", str(tmp_path / "run"), "--confidence", "0.95", "--out", str(out)
    )
    assert code == 0, output
    report = json.loads(out.read_text())
    returns = daily[1:] / daily[:-1] - 1
    q = np.quantile(returns * daily[-1], 0.05)
    assert report["base_currency"] == "USDT"
    assert report["account"]["equity"] == pytest.approx(daily[-1])
    assert report["account"]["var"]["historical"]["var"] == pytest.approx(-q, rel=1e-10)
    assert set(report["account"]["var"]) == {"historical", "parametric", "monte_carlo"}
    assert "Account VaR / ES" in output


def test_report_of_a_results_folder_has_exposures_and_stress(tmp_path: Path) -> None:
    write_results(tmp_path / "run")
    scenarios = tmp_path / "s.toml"
    scenarios.write_text('[scenarios.eth_pump]\ninstruments = { "ETHUSDT.BINANCE" = 0.25 }\n')
    out = tmp_path / "report.json"
    code, output = run(
        "risk",
        "report",
        str(tmp_path / "run"),
        "--scenarios",
        str(scenarios),
        "--margin-rate",
        "0.1",
        "--out",
        str(out),
    )
    assert code == 0, output
    book = json.loads(out.read_text())["portfolio"]
    assert book["exposure"] == {
        "long": 150_000.0,
        "short": 60_000.0,
        "gross": 210_000.0,
        "net": 90_000.0,
    }
    assert book["by_venue"] == [
        {
            "venue": "BINANCE",
            "long": 150_000.0,
            "short": 60_000.0,
            "gross": 210_000.0,
            "net": 90_000.0,
        }
    ]
    assert book["stress"][0]["pnl"] == pytest.approx(-15_000.0)
    assert book["margin"]["margin"] == pytest.approx(21_000.0)
    assert "eth_pump" in output


def test_report_names_a_missing_equity_file(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    code, output = run("risk", "report", str(tmp_path / "run"))
    assert code == 1
    assert "equity.parquet is missing" in output


def test_stress_on_a_results_folder_without_positions_names_the_missing_file(
    tmp_path: Path,
) -> None:
    write_results(tmp_path / "run", positions=False)
    scenarios = tmp_path / "s.toml"
    scenarios.write_text('[scenarios.a]\ninstruments = { "X.Y" = -0.1 }\n')
    code, output = run("risk", "report", str(tmp_path / "run"), "--scenarios", str(scenarios))
    assert code == 1
    assert "positions.parquet is missing" in output


def write_prices(path: Path, days: int = 120) -> pl.DataFrame:
    rng = np.random.default_rng(8)
    closes = np.cumprod(1 + rng.normal(0, 0.01, size=(days, 2)), axis=0) * [100.0, 20.0]
    frame = pl.DataFrame(
        {
            "ts": np.repeat(np.arange(days, dtype=np.int64) * DAY, 2),
            "instrument": ["AAA.XNAS", "BBB.XNAS"] * days,
            "close": closes.reshape(-1),
        }
    )
    frame.write_csv(path)
    return frame


def test_report_of_a_positions_file_has_portfolio_var_and_beta(tmp_path: Path) -> None:
    prices = write_prices(tmp_path / "prices.csv")
    (tmp_path / "positions.csv").write_text("instrument,quantity\nAAA.XNAS,10\nBBB.XNAS,-5\n")
    out = tmp_path / "r.json"
    code, output = run(
        "risk",
        "report",
        "--positions",
        str(tmp_path / "positions.csv"),
        "--prices",
        str(tmp_path / "prices.csv"),
        "--benchmark",
        "AAA.XNAS",
        "--out",
        str(out),
    )
    assert code == 0, output
    book = json.loads(out.read_text())["portfolio"]
    wide = prices.pivot(on="instrument", index="ts", values="close").sort("ts")
    closes = wide.select("AAA.XNAS", "BBB.XNAS").to_numpy()
    pnl = (closes[1:] / closes[:-1] - 1) @ (closes[-1] * [10.0, -5.0])
    assert book["var"]["historical"]["var"] == pytest.approx(-np.quantile(pnl, 0.01), rel=1e-10)
    assert book["benchmark"]["benchmark"] == "AAA.XNAS"
    assert "Portfolio VaR / ES" in output


def test_a_bad_row_in_a_positions_file_names_its_line_and_field(tmp_path: Path) -> None:
    write_prices(tmp_path / "prices.csv")
    (tmp_path / "positions.csv").write_text("instrument,quantity\nAAA.XNAS,10\nBBB.XNAS,lots\n")
    code, output = run(
        "risk",
        "report",
        "--positions",
        str(tmp_path / "positions.csv"),
        "--prices",
        str(tmp_path / "prices.csv"),
    )
    assert code == 1
    assert "row 3, field 'quantity': expected a finite number, got 'lots'" in " ".join(
        output.split()
    )


def test_confidence_outside_zero_one_is_refused(tmp_path: Path) -> None:
    write_results(tmp_path / "run")
    code, output = run("risk", "report", str(tmp_path / "run"), "--confidence", "1.2")
    assert code == 1
    assert "confidence" in output
    assert "1.2" in output

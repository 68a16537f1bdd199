"""The HTML tearsheet and ``ferrox report``: built from results folders written here to the
results contract from seeded synthetic data, and rendered in headless Chromium offline."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from ferrox.analytics import backtest_stats, monthly_returns
from ferrox.cli import app
from ferrox.errors import DataError
from ferrox.report import CHART_COLORS, load_results, render_tearsheet, write_tearsheet

HOUR = 3600 * 10**9
START = 1_609_459_200 * 10**9  # 2021-01-01T00:00:00Z


def write_results(folder: Path, *, hours: int = 24 * 200, seed: int = 5) -> Path:
    """A results folder per the contract: hourly equity with a drawdown, trades, fills."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    ts = START + np.arange(hours, dtype=np.int64) * HOUR
    steps = rng.normal(0.0001, 0.004, hours)
    steps[hours // 3 : hours // 3 + 200] -= 0.002  # a clear drawdown
    equity = 10_000.0 * np.cumprod(1.0 + steps)
    exposure = np.where(rng.random(hours) < 0.25, 0.0, equity * 0.8)
    pl.DataFrame(
        {"ts": ts, "equity": equity, "cash": equity - exposure, "gross_exposure": exposure}
    ).write_parquet(folder / "equity.parquet")
    n = 40
    entry = ts[: 2 * n : 2]
    pl.DataFrame(
        {
            "instrument": ["BTCUSDT-PERP.BINANCE"] * n,
            "side": ["LONG", "SHORT"] * (n // 2),
            "entry_ts": entry,
            "exit_ts": entry + HOUR,
            "quantity": [0.1] * n,
            "entry_price": [46_000.0] * n,
            "exit_price": (46_000.0 + rng.normal(0, 300, n)).tolist(),
            "pnl": rng.normal(3.0, 25.0, n).tolist(),
            "return": [0.0] * n,
        }
    ).write_parquet(folder / "trades.parquet")
    pl.DataFrame(
        {
            "ts": np.repeat(entry, 2),
            "client_order_id": [f"O-{i}" for i in range(2 * n)],
            "instrument": ["BTCUSDT-PERP.BINANCE"] * (2 * n),
            "side": ["BUY", "SELL"] * n,
            "price": ["46000.0"] * (2 * n),
            "quantity": ["0.1"] * (2 * n),
            "price_f": [46_000.0] * (2 * n),
            "quantity_f": [0.1] * (2 * n),
            "notional": [4_600.0] * (2 * n),
            "fee": [1.84] * (2 * n),
            "liquidity": ["TAKER"] * (2 * n),
        }
    ).write_parquet(folder / "fills.parquet")
    meta = {
        "ferrox_version": "0.1.0",
        "config": {"strategy": {"name": "synthetic"}},
        "data": {
            "start_ns": int(ts[0]),
            "end_ns": int(ts[-1]),
            "instruments": ["BTCUSDT-PERP.BINANCE"],
        },
        "base_currency": "USDT",
        "results_hash": "0123456789abcdef",
        "stats": {},
    }
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def write_benchmark(path: Path, *, hours: int = 24 * 200) -> Path:
    rng = np.random.default_rng(9)
    ts = START + np.arange(hours, dtype=np.int64) * HOUR
    close = 30_000.0 * np.cumprod(1.0 + rng.normal(0.0, 0.005, hours))
    pl.DataFrame({"ts": ts, "close": close}).write_parquet(path)
    return path


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_results(tmp_path / "run")


def _cell(html: str, label: str) -> str:
    match = re.search(rf"<td>{re.escape(label)}</td><td class='num'>([^<]*)</td>", html)
    assert match, f"no row {label!r} in the statistics"
    return match.group(1)


def test_tearsheet_fetches_nothing_from_anywhere(results: Path) -> None:
    html = render_tearsheet(load_results(results))
    for needle in ("http:", "https:", "src=", "href=", "url(", "@import", "<script", "<link"):
        assert needle not in html


def test_statistics_table_shows_backtest_stats_of_the_folder(results: Path) -> None:
    loaded = load_results(results)
    assert loaded.trades is not None
    stats = backtest_stats(loaded.equity, loaded.trades, loaded.fills)
    html = render_tearsheet(loaded)
    assert _cell(html, "Sharpe") == f"{stats['sharpe']:,.2f}"
    assert _cell(html, "Max drawdown") == f"{stats['max_drawdown'] * 100:.2f}%"
    assert _cell(html, "Trades") == "40"


def test_tearsheet_has_the_four_charts(results: Path) -> None:
    html = render_tearsheet(load_results(results))
    for label in (
        "Equity curve",
        "Underwater curve",
        "Monthly returns heatmap",
        "Return distribution histogram",
    ):
        assert f'aria-label="{label}"' in html


def test_heatmap_has_one_cell_per_month_and_year_with_returns(results: Path) -> None:
    loaded = load_results(results)
    equity = loaded.equity["equity"].to_numpy()
    table = monthly_returns(np.diff(equity) / equity[:-1], loaded.equity["ts"].to_numpy()[1:])
    filled = int(table.drop("year").select(pl.all().is_not_null().sum()).sum_horizontal()[0])
    assert render_tearsheet(loaded).count('class="cell"') == filled


def test_benchmark_adds_its_line_and_alpha_beta(results: Path, tmp_path: Path) -> None:
    bench = write_benchmark(tmp_path / "bench.parquet")
    out = write_tearsheet(results, tmp_path / "report.html", benchmark=bench)
    html = out.read_text(encoding="utf-8")
    assert CHART_COLORS["benchmark"] in html
    assert _cell(html, "Beta") != "—"


def test_results_without_trades_or_fills_still_render(results: Path) -> None:
    (results / "trades.parquet").unlink()
    (results / "fills.parquet").unlink()
    html = render_tearsheet(load_results(results))
    assert _cell(html, "Trades") == "0"


def test_write_leaves_no_temporary_file_behind(results: Path, tmp_path: Path) -> None:
    out = write_tearsheet(results, tmp_path / "out" / "report.html")
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]


def test_folder_without_equity_is_refused_naming_what_is_missing(results: Path) -> None:
    (results / "equity.parquet").unlink()
    with pytest.raises(DataError, match=r"not a backtest results folder: no equity\.parquet"):
        load_results(results)


def test_equity_without_a_contract_column_is_refused_naming_it(results: Path) -> None:
    equity = pl.read_parquet(results / "equity.parquet").drop("gross_exposure")
    equity.write_parquet(results / "equity.parquet")
    with pytest.raises(DataError, match=r"missing column.*gross_exposure"):
        load_results(results)


def test_broken_meta_json_is_refused_naming_the_line(results: Path) -> None:
    (results / "meta.json").write_text('{\n  "ferrox_version": ,\n}', encoding="utf-8")
    with pytest.raises(DataError, match=r"meta\.json: line 2"):
        load_results(results)


def test_failed_report_leaves_an_existing_file_untouched(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("previous", encoding="utf-8")
    with pytest.raises(DataError):
        write_tearsheet(tmp_path / "missing", out)
    assert out.read_text(encoding="utf-8") == "previous"


def test_cli_report_writes_the_tearsheet(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", str(results), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_cli_report_on_a_folder_without_meta_exits_1_with_one_line(
    results: Path, tmp_path: Path
) -> None:
    (results / "meta.json").unlink()
    result = CliRunner().invoke(app, ["report", str(results), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "no meta.json" in lines[0]


# --- rendering in a real browser -------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("chromium not found: install it (make test does: apt-get install chromium)")


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _pixels_near(image: np.ndarray, color: str, tolerance: int = 6) -> np.ndarray:
    target = np.array(_rgb(color), dtype=np.int16)
    distance = np.abs(image[:, :, :3].astype(np.int16) - target).max(axis=2)
    return distance <= tolerance


def _shades_of(image: np.ndarray, color: str, min_share: float = 0.3) -> np.ndarray:
    """Pixels on the white-to-``color`` ramp of the heatmap, at least ``min_share`` of the way."""
    target = np.array(_rgb(color), dtype=np.float64)
    pixels = image[:, :, :3].astype(np.float64)
    channel = int(np.argmax(255.0 - target))
    share = (255.0 - pixels[:, :, channel]) / (255.0 - target[channel])
    expected = 255.0 + (target - 255.0) * share[:, :, None]
    close = np.abs(pixels - expected).max(axis=2) <= 6
    return close & (share >= min_share) & (share <= 1.02)


def test_tearsheet_draws_its_charts_in_headless_chromium_offline(
    results: Path, tmp_path: Path
) -> None:
    from PIL import Image

    chromium = _chromium()
    bench = write_benchmark(tmp_path / "bench.parquet")
    page = write_tearsheet(results, tmp_path / "report.html", benchmark=bench)
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--disable-dev-shm-usage",
            "--no-first-run",
            # Every name resolves to nothing and every request goes to a dead proxy:
            # the page must draw with no network at all.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=127.0.0.1:9",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1100,2600",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )
    image = np.asarray(Image.open(shot).convert("RGB"))
    assert image.shape[:2] == (2600, 1100)
    # Each chart's marks in its own colour, in page order: equity above the
    # underwater curve above the heatmap above the histogram.
    rows = {}
    for chart, minimum in (
        ("equity", 500),
        ("benchmark", 300),
        ("drawdown", 5_000),
        ("month_loss", 1_000),
        ("month_gain", 1_000),
        ("histogram", 3_000),
        ("rolling_sharpe", 300),
    ):
        color = CHART_COLORS[chart]
        mask = _shades_of(image, color) if chart.startswith("month") else _pixels_near(image, color)
        assert mask.sum() >= minimum, f"{chart}: only {mask.sum()} pixels drawn"
        rows[chart] = float(np.median(np.nonzero(mask)[0]))
    assert rows["equity"] < rows["drawdown"] < rows["month_loss"] < rows["histogram"]
    assert rows["histogram"] < rows["rolling_sharpe"]

"""``ferrox factors analyze`` and the HTML report of a factor analysis."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from ferrox.cli import app
from ferrox.factors import analyze, compute

RUNNER = CliRunner()


def write_files(folder: Path) -> tuple[Path, Path]:
    """A seeded 8-instrument panel and its 3-period momentum factor, as Parquet."""
    rng = np.random.default_rng(5)
    names, times = 8, 60
    close = 20 * np.exp(np.cumsum(rng.normal(0, 0.02, (times, names)), axis=0))
    panel = pl.DataFrame(
        {
            "instrument": [f"S{i}" for i in range(names)] * times,
            "ts": np.repeat(np.arange(times) * 86_400_000_000_000, names),
            "close": close.ravel(),
            "sector": [i % 2 for i in range(names)] * times,
        }
    )
    factors = compute(panel, {"mom3": "$close / Ref($close, 3) - 1"})
    panel.write_parquet(folder / "panel.parquet")
    factors.write_parquet(folder / "factors.parquet")
    return folder / "factors.parquet", folder / "panel.parquet"


def test_analyze_prints_ic_quantile_and_turnover_tables(tmp_path: Path) -> None:
    factors, prices = write_files(tmp_path)
    result = RUNNER.invoke(
        app, ["factors", "analyze", str(factors), "--prices", str(prices), "--factor", "mom3"]
    )
    assert result.exit_code == 0, result.output
    for title in ("IC of mom3", "Mean forward return by quantile", "Turnover"):
        assert title in result.output
    expected = analyze(pl.read_parquet(factors), pl.read_parquet(prices), factor="mom3")
    first = expected.ic_summary.row(0, named=True)
    assert f"{first['ic_mean']:.4f}" in result.output


def test_analyze_writes_the_report_and_the_json_summary(tmp_path: Path) -> None:
    factors, prices = write_files(tmp_path)
    args = ["factors", "analyze", str(factors), "--prices", str(prices), "-f", "mom3"]
    args += ["--horizons", "1,2", "--quantiles", "4", "--group", "sector"]
    args += ["--out", str(tmp_path / "r.html"), "--json", str(tmp_path / "r.json")]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "r.json").read_text())
    expected = analyze(
        pl.read_parquet(factors),
        pl.read_parquet(prices),
        factor="mom3",
        horizons=[1, 2],
        quantiles=4,
        group="sector",
    )
    assert summary["horizons"] == [1, 2]
    assert summary["group"] == "sector"
    assert [row["quantile"] for row in summary["turnover"]] == [1, 2, 3, 4]
    for row, ours in zip(summary["ic"], expected.ic_summary.iter_rows(named=True), strict=True):
        assert row["rank_ic_mean"] == pytest.approx(ours["rank_ic_mean"], rel=1e-12)
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_analyze_unknown_factor_exits_1_listing_the_columns(tmp_path: Path) -> None:
    factors, prices = write_files(tmp_path)
    result = RUNNER.invoke(
        app, ["factors", "analyze", str(factors), "--prices", str(prices), "-f", "mom5"]
    )
    assert result.exit_code == 1
    assert "no 'mom5' column (columns: instrument, ts, mom3)" in result.output


def test_analyze_bad_horizons_exit_1(tmp_path: Path) -> None:
    factors, prices = write_files(tmp_path)
    result = RUNNER.invoke(
        app,
        ["factors", "analyze", str(factors), "--prices", str(prices), "-f", "mom3",
         "--horizons", "1,five"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "--horizons: expected whole numbers" in result.output


# --- the HTML report -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    factors, prices = write_files(folder)
    result = analyze(pl.read_parquet(factors), pl.read_parquet(prices), factor="mom3")
    return result.write_report(folder / "report.html")


def test_report_fetches_nothing_from_anywhere(page: Path) -> None:
    html = page.read_text()
    for needle in ("http:", "https:", "src=", "href=", "url(", "@import", "<script", "<link"):
        assert needle not in html


def test_report_has_its_charts(page: Path) -> None:
    html = page.read_text()
    for label in ("IC decay", "Quantile mean returns", "Cumulative spread"):
        assert f'aria-label="{label}"' in html
    for h in (1, 5, 10):
        assert f'aria-label="IC time series, horizon {h}"' in html


def test_report_tables_show_the_analysis_figures(page: Path, tmp_path: Path) -> None:
    factors, prices = write_files(tmp_path)
    result = analyze(pl.read_parquet(factors), pl.read_parquet(prices), factor="mom3")
    html = page.read_text()
    row = result.ic_summary.row(0, named=True)
    assert f"<td>{row['ic_mean']:,.4f}</td>" in html
    spread = result.spread_summary.row(0, named=True)
    assert math.isfinite(spread["cumulative"])
    assert f"<td>{spread['cumulative']:,.4f}</td>" in html


def test_report_draws_in_headless_chromium_offline(page: Path, tmp_path: Path) -> None:
    from PIL import Image

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium not found: install it (make test does: apt-get install chromium)")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--disable-dev-shm-usage", "--no-first-run",
            "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
            f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1100,3400",
            f"--screenshot={shot}", page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=90,
    )  # fmt: skip
    image = np.asarray(Image.open(shot).convert("RGB")).astype(np.int16)
    # The first palette colour (IC bars, rolling IC, 1-period curve) must cover real area.
    blue = np.abs(image - np.array([0x09, 0x69, 0xDA])).max(axis=2) <= 6
    assert blue.sum() > 2_000
    colors = set(re.findall(r'fill="(#[0-9a-f]{6})"', page.read_text()))
    assert {"#0969da", "#bc4c00"} <= colors

"""``ferrox factors compute``: panel file in, factor columns out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from typer.testing import CliRunner

from ferrox.cli import app
from ferrox.factors import alpha158, compute

RUNNER = CliRunner()


def write_panel(path: Path) -> pl.DataFrame:
    rng = np.random.default_rng(9)
    n = 30
    close = 10 + np.cumsum(rng.normal(0, 0.2, 2 * n))
    panel = pl.DataFrame(
        {
            "instrument": ["A"] * n + ["B"] * n,
            "ts": list(range(n)) * 2,
            "open": close + 0.1,
            "high": close + 0.5,
            "low": close - 0.5,
            "close": close,
            "volume": rng.lognormal(5, 1, 2 * n),
            "vwap": close + 0.05,
        }
    )
    if path.suffix == ".csv":
        panel.write_csv(path)
    else:
        panel.write_parquet(path)
    return panel


def test_compute_alpha158_writes_every_feature(tmp_path: Path) -> None:
    panel = write_panel(tmp_path / "panel.parquet")
    out = tmp_path / "out.parquet"
    result = RUNNER.invoke(
        app,
        [
            "factors",
            "compute",
            str(tmp_path / "panel.parquet"),
            "--set",
            "alpha158",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "158 factors" in result.output
    written = pl.read_parquet(out)
    assert written.columns == ["instrument", "ts", *alpha158()]
    assert written.equals(compute(panel, alpha158()))


def test_compute_named_expressions_from_csv(tmp_path: Path) -> None:
    write_panel(tmp_path / "panel.csv")
    out = tmp_path / "out.csv"
    result = RUNNER.invoke(
        app,
        [
            "factors",
            "compute",
            str(tmp_path / "panel.csv"),
            "-e",
            "ma3=Mean($close, 3)",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert pl.read_csv(out).columns == ["instrument", "ts", "ma3"]


def test_malformed_expression_exits_1_with_the_position(tmp_path: Path) -> None:
    write_panel(tmp_path / "panel.parquet")
    result = RUNNER.invoke(
        app,
        [
            "factors",
            "compute",
            str(tmp_path / "panel.parquet"),
            "-e",
            "x=Mean($close, 3",
            "-o",
            str(tmp_path / "o.parquet"),
        ],
    )
    assert result.exit_code == 1
    assert "expected ')' at position 14" in result.output
    assert not (tmp_path / "o.parquet").exists()


def test_expression_without_a_name_is_a_usage_error(tmp_path: Path) -> None:
    write_panel(tmp_path / "panel.parquet")
    result = RUNNER.invoke(
        app,
        [
            "factors",
            "compute",
            str(tmp_path / "panel.parquet"),
            "-e",
            "Mean($close, 3)",
            "-o",
            str(tmp_path / "o.parquet"),
        ],
    )
    assert result.exit_code == 1
    assert "NAME=EXPRESSION" in result.output

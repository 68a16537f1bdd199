"""docs/backtest.md's config and three-line example run as written (on a small
synthetic catalog of the instrument the page names)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ferrox.backtest import load_config
from ferrox.cli import app
from ferrox.data.catalog import Catalog
from ferrox.data.importer import import_files
from ferrox.data.loaders.base import LoaderOptions
from ferrox.model.schema import DataKind

DOC = Path(__file__).resolve().parent.parent / "docs" / "backtest.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with ``backtest.toml`` (the page's config) and its ``catalog``."""
    lines = ["timestamp,open,high,low,close,volume"]
    start = dt.datetime(2022, 1, 1)
    for i in range(600):
        price = 40_000 + 50 * ((i // 25) % 2) + i % 7
        when = start + dt.timedelta(minutes=i)
        lines.append(f"{when:%Y-%m-%d %H:%M:%S},{price},{price + 5},{price - 5},{price + 1},2.5")
    csv = tmp_path / "bars.csv"
    csv.write_text("\n".join(lines) + "\n")
    options = LoaderOptions(
        instrument="BTC-PERP.SIM",
        kind=DataKind.BARS,
        ts_unit="iso",
        bar_label="open",
        bar_interval="1m",
        price_precision=3,
        size_precision=4,
    )
    import_files([csv], "csv", Catalog(tmp_path / "catalog"), options=options)
    (tmp_path / "backtest.toml").write_text(blocks("toml")[0])
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_config_on_the_page_is_valid(folder: Path) -> None:
    config = load_config(folder / "backtest.toml")
    assert config.strategy_path == "ferrox.strategies.ema_cross:EMACross"
    assert config.instruments == ["BTC-PERP.SIM"]


def test_the_three_lines_run(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(blocks("python")[0], str(DOC), "exec"), {})
    assert "results hash" in capsys.readouterr().out


def test_the_shell_line_writes_a_results_folder(folder: Path) -> None:
    command = blocks("text")[0].split()
    assert command[:3] == ["ferrox", "backtest", "run"]
    result = CliRunner().invoke(app, command[1:])
    assert result.exit_code == 0, result.output
    assert (folder / "results" / "ema" / "meta.json").is_file()
    assert (folder / "results" / "ema" / "equity.parquet").is_file()

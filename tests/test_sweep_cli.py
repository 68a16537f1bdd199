"""``ferrox sweep``: grids from the command line or ``[sweep]``, random search, results folder."""

from __future__ import annotations

import itertools
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ferrox.cli import app
from ferrox.research.sweep import Range, random_search
from test_sweep import bar_config  # noqa: F401  (the event-engine config fixture)

RUNNER = CliRunner()


def sweep_file(folder: Path, extra: str = "") -> Path:
    """A sweep-only config over ``test_sweep:counting_target`` (score = fast * slow)."""
    calls = folder / "calls"
    calls.mkdir(exist_ok=True)
    path = folder / "sweep.toml"
    path.write_text(
        f"""
[sweep]
target = "test_sweep:counting_target"
workers = 2
{extra}
[sweep.grid]
fast = [1, 2]
slow = [10, 20]
[sweep.fixed]
calls = "{calls}"
"""
    )
    return path


def invoke(*args: object) -> tuple[int, str]:
    result = RUNNER.invoke(app, ["sweep", *(str(a) for a in args)])
    return result.exit_code, result.output


def test_the_config_grid_runs_and_writes_results_parquet(tmp_path: Path) -> None:
    code, output = invoke(sweep_file(tmp_path), "--out", tmp_path / "out")
    assert code == 0, output
    table = pl.read_parquet(tmp_path / "out" / "results.parquet")
    expected = list(itertools.product([1, 2], [10, 20]))
    assert list(zip(table["fast"], table["slow"], strict=True)) == expected
    assert table["score"].to_list() == [float(f * s) for f, s in expected]
    assert "4 ok, 0 failed" in output


def test_grid_options_replace_the_parameters_they_name(tmp_path: Path) -> None:
    code, output = invoke(sweep_file(tmp_path), "--grid", "fast=3,4,5", "--out", tmp_path / "out")
    assert code == 0, output
    table = pl.read_parquet(tmp_path / "out" / "results.parquet")
    assert list(zip(table["fast"], table["slow"], strict=True)) == list(
        itertools.product([3, 4, 5], [10, 20])
    )


def test_a_range_option_with_a_step_is_expanded(tmp_path: Path) -> None:
    code, output = invoke(sweep_file(tmp_path), "-g", "slow=10:40:15", "--out", tmp_path / "out")
    assert code == 0, output
    table = pl.read_parquet(tmp_path / "out" / "results.parquet")
    assert table["slow"].unique(maintain_order=True).to_list() == [10, 25, 40]


def test_random_search_draws_the_seeded_sets(tmp_path: Path) -> None:
    args = ("--grid", "slow=10:99", "--random", "5", "--seed", "3", "--out", tmp_path / "out")
    code, output = invoke(sweep_file(tmp_path), *args)
    assert code == 0, output
    table = pl.read_parquet(tmp_path / "out" / "results.parquet")
    expected = random_search({"fast": [1, 2], "slow": Range(10, 99)}, 5, seed=3)
    assert table.select("fast", "slow").to_dicts() == expected


def test_sort_prints_the_best_row_first(tmp_path: Path) -> None:
    code, output = invoke(sweep_file(tmp_path), "--sort", "score", "--top", "2", "-o", tmp_path)
    assert code == 0, output
    rows = [line for line in output.splitlines() if line.startswith("│")]
    assert rows[0].split("│")[1].strip() == "3"  # fast=2, slow=20: the highest score
    assert len(rows) == 2


def test_a_second_run_resumes_and_says_so(tmp_path: Path) -> None:
    config = sweep_file(tmp_path)
    invoke(config, "--out", tmp_path / "out")
    code, output = invoke(config, "--out", tmp_path / "out")
    assert code == 0, output
    assert "resumed: 4 sets were already done" in output
    assert len(list((tmp_path / "calls").iterdir())) == 4


def test_a_backtest_config_sweeps_its_strategy_params(
    bar_config: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    code, output = invoke(
        bar_config, "--grid", "fast=3,5", "--grid", "slow=12", "--sort", "sharpe",
        "--workers", "2", "--out", tmp_path / "out",
    )  # fmt: skip
    assert code == 0, output
    table = pl.read_parquet(tmp_path / "out" / "results.parquet")
    assert table["status"].to_list() == ["ok", "ok"]
    assert {"sharpe", "max_drawdown", "trades"} <= set(table.columns)


@pytest.mark.parametrize(
    ("extra", "args", "message"),
    [
        ("colour = 1", (), "unknown key(s) ['colour']"),
        ("", ("--grid", "fast"), "expected NAME=V1,V2"),
        ("", ("--grid", "slow=10:x"), "a range is LOW:HIGH"),
        ("", ("--grid", "slow=10:50"), "no step: a grid needs a list or a step"),
    ],
)
def test_bad_sweep_settings_fail_with_one_line(
    tmp_path: Path, extra: str, args: tuple[str, ...], message: str
) -> None:
    code, output = invoke(sweep_file(tmp_path, extra), *args, "--out", tmp_path / "out")
    assert code == 1
    assert message in " ".join(output.split())


def test_a_sweep_where_every_set_fails_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "fragile.toml"
    path.write_text('[sweep]\ntarget = "test_sweep:fragile_target"\n[sweep.grid]\nx = [5]\n')
    code, output = invoke(path, "--workers", "1", "--out", tmp_path / "out")
    assert code == 1
    assert "ValueError: x = 5 is not allowed" in output


def test_a_sweep_table_inside_a_backtest_config_is_used(
    bar_config: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = bar_config.parent / "with_sweep.toml"
    config.write_text(
        bar_config.read_text()
        + '\n[sweep]\nworkers = 1\nout = "swept"\n[sweep.grid]\nfast = [3, 4]\nslow = [15]\n'
    )
    code, output = invoke(config)
    assert code == 0, output
    table = pl.read_parquet(bar_config.parent / "swept" / "results.parquet")
    assert table.select("fast", "slow").rows() == [(3, 15), (4, 15)]
    assert table["status"].to_list() == ["ok", "ok"]

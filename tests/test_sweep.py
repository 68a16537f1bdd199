"""Parameter sweeps across local processes: spaces, the table, resume, failures, both engines.

Targets used by the worker processes are defined at the top of this module, which
the spawned workers import by name (pytest puts tests/ on ``sys.path``).
"""

from __future__ import annotations

import itertools
import json
import math
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from ferrox.backtest import load_config, run_backtest
from ferrox.errors import ConfigError
from ferrox.research.sweep import Range, best, grid, random_search, run_sweep


def counting_target(params: Mapping[str, Any]) -> dict[str, float]:
    """Leaves one file per call in ``params["calls"]``; score = fast * slow."""
    calls = Path(params["calls"])
    (calls / f"{params['fast']}-{params['slow']}-{uuid.uuid4().hex}").touch()
    return {"score": float(params["fast"] * params["slow"]), "half": params["fast"] / 2}


def fragile_target(params: Mapping[str, Any]) -> dict[str, float]:
    """x = 3 kills its worker process; x = 5 raises; the others return 2x."""
    if params["x"] == 3:
        os._exit(13)
    if params["x"] == 5:
        raise ValueError("x = 5 is not allowed")
    return {"double": 2.0 * params["x"]}


# -- spaces -----------------------------------------------------------------------------


def test_grid_is_the_cartesian_product_in_order() -> None:
    space = {"fast": [5, 10, 20], "slow": [30, 60], "fee": [0.0]}
    expected = [
        {"fast": f, "slow": s, "fee": 0.0} for f, s in itertools.product([5, 10, 20], [30, 60])
    ]
    assert grid(space) == expected


def test_grid_expands_a_stepped_range() -> None:
    assert grid({"slow": Range(20, 50, step=10)}) == [{"slow": v} for v in (20, 30, 40, 50)]


def test_grid_refuses_a_range_without_step() -> None:
    with pytest.raises(ConfigError, match="no step"):
        grid({"slow": Range(20, 50)})


def test_random_search_is_seeded_distinct_and_inside_the_space() -> None:
    space = {"fast": [5, 10, 20], "slow": Range(30, 90), "stop": Range(0.01, 0.1, log=True)}
    first = random_search(space, 25, seed=7)
    assert first == random_search(space, 25, seed=7)
    assert first != random_search(space, 25, seed=8)
    assert len({json.dumps(p, sort_keys=True) for p in first}) == 25
    for p in first:
        assert p["fast"] in (5, 10, 20)
        assert isinstance(p["slow"], int)
        assert 30 <= p["slow"] <= 90
        assert 0.01 <= p["stop"] <= 0.1


def test_random_search_of_a_small_finite_space_returns_all_of_it() -> None:
    space = {"fast": [5, 10], "slow": [30, 60]}
    assert random_search(space, 10, seed=1) == grid(space)


def test_an_empty_list_of_values_is_refused_naming_the_parameter() -> None:
    with pytest.raises(ConfigError, match="'slow' has no values"):
        grid({"fast": [5], "slow": []})


# -- the table ----------------------------------------------------------------------------


def test_table_has_index_parameters_statistics_and_status(tmp_path: Path) -> None:
    sets = grid({"fast": [2, 3], "slow": [7, 11]})
    table = run_sweep(counting_target, sets, fixed={"calls": str(tmp_path)}, max_workers=2)
    assert table.columns == ["index", "fast", "slow", "score", "half", "status", "error"]
    assert table["index"].to_list() == [0, 1, 2, 3]
    assert table["score"].to_list() == [14.0, 22.0, 21.0, 33.0]
    assert table["half"].to_list() == [1.0, 1.0, 1.5, 1.5]
    assert table["status"].to_list() == ["ok"] * 4
    assert table["error"].null_count() == 4


def test_best_sorts_finished_rows_with_nan_last() -> None:
    table = pl.DataFrame(
        {
            "index": [0, 1, 2, 3],
            "sharpe": [0.5, math.nan, 2.0, None],
            "status": ["ok", "ok", "ok", "failed"],
        }
    )
    assert best(table, "sharpe", 4)["index"].to_list() == [2, 0, 1, 3]
    assert best(table, "sharpe", 1, ascending=True)["index"].to_list() == [0]


def test_duplicate_parameter_sets_are_refused() -> None:
    with pytest.raises(ConfigError, match="sets 0 and 1 are the same"):
        run_sweep(counting_target, [{"fast": 1, "slow": 2}, {"fast": 1, "slow": 2}])


def test_an_unimportable_target_is_refused_before_any_work() -> None:
    with pytest.raises(ConfigError, match="no function 'nope'"):
        run_sweep("ferrox.research.targets:nope", [{"fast": 1}])


# -- resume -------------------------------------------------------------------------------


def _calls_per_set(folder: Path) -> dict[tuple[int, int], int]:
    counts: dict[tuple[int, int], int] = {}
    for path in folder.iterdir():
        fast, slow, _ = path.name.split("-")
        counts[(int(fast), int(slow))] = counts.get((int(fast), int(slow)), 0) + 1
    return counts


def test_an_interrupted_sweep_resumes_without_rerunning_finished_sets(tmp_path: Path) -> None:
    calls, out = tmp_path / "calls", tmp_path / "sweep"
    calls.mkdir()
    sets = grid({"fast": [1, 2, 3, 4], "slow": [10, 20, 30, 40, 50]})
    fixed = {"calls": str(calls)}
    complete = run_sweep(counting_target, sets, fixed=fixed, max_workers=1)

    def interrupt(done: int, total: int) -> None:
        if done > 0:  # the first batch is on disk: Ctrl-C now
            raise KeyboardInterrupt

    for path in calls.iterdir():
        path.unlink()
    with pytest.raises(KeyboardInterrupt):
        run_sweep(counting_target, sets, fixed=fixed, max_workers=1, out=out, progress=interrupt)
    kept = pl.concat(
        [pl.read_ndjson(p, infer_schema_length=None) for p in (out / "parts").glob("*.jsonl")]
    )
    finished = {(p["fast"], p["slow"]) for p in kept["params"].to_list()}
    assert 0 < len(finished) < len(sets)
    assert not (out / "results.parquet").exists()

    seen: list[int] = []
    resumed = run_sweep(
        counting_target, sets, fixed=fixed, max_workers=1, out=out,
        progress=lambda done, total: seen.append(done),
    )  # fmt: skip
    assert_frame_equal(resumed, complete)
    assert_frame_equal(pl.read_parquet(out / "results.parquet"), complete)
    assert seen[0] == len(finished)
    counts = _calls_per_set(calls)
    assert all(counts[s] == 1 for s in finished)
    assert set(counts) == {(p["fast"], p["slow"]) for p in sets}


def test_a_rerun_of_a_finished_sweep_runs_nothing(tmp_path: Path) -> None:
    calls, out = tmp_path / "calls", tmp_path / "sweep"
    calls.mkdir()
    sets = grid({"fast": [1, 2], "slow": [10, 20]})
    first = run_sweep(counting_target, sets, fixed={"calls": str(calls)}, out=out, max_workers=2)
    again = run_sweep(counting_target, sets, fixed={"calls": str(calls)}, out=out, max_workers=2)
    assert_frame_equal(again, first)
    assert len(list(calls.iterdir())) == len(sets)


def test_a_different_target_does_not_reuse_finished_sets(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        run_sweep(counting_target, [{"fast": 1, "slow": 2}], fixed={"calls": str(tmp_path / name)},
                  out=out, max_workers=1)  # fmt: skip
    assert len(list((tmp_path / "b").iterdir())) == 1


# -- failures -----------------------------------------------------------------------------


def test_a_dying_worker_fails_its_set_and_keeps_the_others(tmp_path: Path) -> None:
    sets = [{"x": x} for x in range(8)]
    table = run_sweep(fragile_target, sets, max_workers=2, out=tmp_path / "sweep")
    rows = {row["x"]: row for row in table.iter_rows(named=True)}
    assert rows[3]["status"] == "failed"
    assert "worker process died" in rows[3]["error"]
    assert rows[5]["status"] == "failed"
    assert rows[5]["error"] == "ValueError: x = 5 is not allowed"
    for x in (0, 1, 2, 4, 6, 7):
        assert (rows[x]["status"], rows[x]["double"]) == ("ok", 2.0 * x)
    assert rows[3]["double"] is None


def test_a_dying_worker_keeps_the_finished_results_on_disk(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    run_sweep(fragile_target, [{"x": x} for x in range(6)], max_workers=2, out=out)
    lines = [
        json.loads(line)
        for part in (out / "parts").glob("*.jsonl")
        for line in part.read_text().splitlines()
    ]
    status = {line["params"]["x"]: line["status"] for line in lines}
    assert status == {0: "ok", 1: "ok", 2: "ok", 3: "failed", 4: "ok", 5: "failed"}


# -- the event engine -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def bar_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog of 400 seeded synthetic one-minute bars and an EMA-cross config over it."""
    from ferrox.data.catalog import Catalog
    from ferrox.data.importer import import_files
    from ferrox.data.loaders.base import LoaderOptions
    from ferrox.model.schema import DataKind

    work = tmp_path_factory.mktemp("sweep-engine")
    rng = np.random.default_rng(11)
    close = np.round(100 * np.exp(np.cumsum(rng.normal(0, 0.003, 400))), 2)
    open_ = np.concatenate([[close[0]], close[:-1]])
    csv = work / "bars.csv"
    with csv.open("w") as out:
        out.write("timestamp,open,high,low,close,volume\n")
        for i, (o, c) in enumerate(zip(open_, close, strict=True)):
            ts = f"2022-01-01 {i // 60:02d}:{i % 60:02d}:00"
            out.write(f"{ts},{o:.2f},{max(o, c):.2f},{min(o, c):.2f},{c:.2f},1\n")
    options = LoaderOptions(
        instrument="SYN.SIM", kind=DataKind.BARS, ts_unit="iso", bar_label="open",
        bar_interval="1m", price_precision=2, size_precision=0,
    )  # fmt: skip
    import_files([csv], "csv", Catalog(work / "catalog"), options=options)
    config = work / "ema.toml"
    config.write_text(
        """
[strategy]
path = "ferrox.strategies.ema_cross:EMACross"
[strategy.params]
instrument = "SYN.SIM"
fast = 10
slow = 30
quantity = "1"
[data]
catalog = "catalog"
instruments = ["SYN.SIM"]
kinds = ["bars"]
[venue]
base_currency = "USD"
starting_balance = "10000"
taker_fee = "0.0004"
"""
    )
    return config


def test_an_event_engine_sweep_gives_each_backtests_statistics(bar_config: Path) -> None:
    sets = grid({"fast": [3, 5], "slow": [12, 20]})
    table = run_sweep(bar_config, sets, max_workers=2)
    assert table["status"].to_list() == ["ok"] * 4
    config = load_config(bar_config)
    for row in table.iter_rows(named=True):
        params = {**config.strategy_params, "fast": row["fast"], "slow": row["slow"]}
        from dataclasses import replace

        stats = run_backtest(replace(config, strategy_params=params)).stats
        assert stats["trades"] > 0
        for name, value in stats.items():
            assert row[name] == pytest.approx(value, nan_ok=True), name


def test_an_event_engine_sweep_reports_a_bad_strategy_parameter(bar_config: Path) -> None:
    table = run_sweep(bar_config, [{"fats": 3}], max_workers=1)
    assert table["status"].to_list() == ["failed"]
    assert "fats" in table["error"][0]

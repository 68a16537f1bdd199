"""Sweeps on a local Ray: the same table as the local-process run, failures reported alike.

One small Ray (2 CPUs, no dashboard) serves the module; the 1,000-set sweep uses
the shipped vectorised EMA-cross target on seeded synthetic bars.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import ray  # in the test extra: this module must run, not skip
from polars.testing import assert_frame_equal

from ferrox.research._sweep_run import start_local_ray
from ferrox.research.sweep import grid, run_sweep
from test_sweep import fragile_target

TARGET = "ferrox.research.targets:ema_cross_vectorized"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    # Kept small for a shared 2-core box; run_sweep(ray="local") starts the same itself.
    start_local_ray(num_cpus=2)
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def bars(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 seeded synthetic one-minute bars (ts, open, close)."""
    rng = np.random.default_rng(5)
    n = 2_000
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, n)))
    open_ = np.concatenate([[close[0]], close[:-1]])
    ts = 1_640_995_200_000_000_000 + np.arange(n, dtype=np.int64) * 60_000_000_000
    path = tmp_path_factory.mktemp("sweep-ray") / "bars.parquet"
    pl.DataFrame({"ts": ts, "open": open_, "close": close}).write_parquet(path)
    return path


def test_a_thousand_set_sweep_on_local_ray_equals_the_local_process_run(
    local_ray: Any, bars: Path
) -> None:
    sets = grid({"fast": list(range(2, 42)), "slow": list(range(50, 75))})
    assert len(sets) == 1_000
    fixed = {"bars": str(bars), "fees": 0.0004}
    on_ray = run_sweep(TARGET, sets, fixed=fixed, ray="local")
    local = run_sweep(TARGET, sets, fixed=fixed, max_workers=2)
    assert on_ray["status"].to_list() == ["ok"] * 1_000
    assert on_ray["trades"].min() > 0
    assert_frame_equal(on_ray, local)


def test_a_dying_ray_worker_fails_its_set_and_keeps_the_others(local_ray: Any) -> None:
    table = run_sweep(fragile_target, [{"x": x} for x in range(8)], ray="local")
    rows = {row["x"]: row for row in table.iter_rows(named=True)}
    assert rows[3]["status"] == "failed"
    assert "worker process died" in rows[3]["error"]
    assert rows[5]["error"] == "ValueError: x = 5 is not allowed"
    assert [rows[x]["double"] for x in (0, 1, 2, 4, 6, 7)] == [0.0, 2.0, 4.0, 8.0, 12.0, 14.0]

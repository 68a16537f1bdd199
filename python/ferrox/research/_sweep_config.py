"""The ``[sweep]`` table of a config file and the ``--grid name=values`` syntax of the CLI.

A backtest config sweeps its own ``[strategy.params]``; a file without
``[strategy]`` names a function target::

    [sweep]
    target = "ferrox.research.targets:ema_cross_vectorized"  # only without [strategy]
    samples = 50          # random search of 50 sets; without it, the whole grid
    seed = 7
    workers = 2           # default: the CPU count
    ray = "local"         # or "ray://head:10001"; default: local processes
    out = "sweeps/ema"    # relative to the config file
    sort = "sharpe"
    [sweep.grid]
    fast = [5, 10, 20]
    slow = {low = 20, high = 100, step = 10}    # without step: random search only
    stop = {low = 0.01, high = 0.1, log = true}
    [sweep.fixed]         # passed to every set
    bars = "bars.parquet"
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferrox.errors import ConfigError
from ferrox.research._sweep_space import Range, Values, grid, random_search
from ferrox.research._sweep_targets import BacktestTarget, FunctionTarget

_KEYS = {"target", "samples", "seed", "workers", "ray", "out", "sort", "grid", "fixed"}


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep needs: target, space, search and where to run and keep it."""

    target: BacktestTarget | FunctionTarget
    space: dict[str, Values]
    samples: int | None = None
    seed: int = 0
    workers: int | None = None
    ray: str | None = None
    out: Path | None = None
    sort: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)

    def parameter_sets(self) -> list[dict[str, Any]]:
        """The grid, or ``samples`` random sets."""
        if self.samples is None:
            return grid(self.space)
        return random_search(self.space, self.samples, seed=self.seed)


def _scalar(text: str) -> Any:
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_grid_option(option: str) -> tuple[str, Values]:
    """``"fast=5,10,20"`` -> a list; ``"slow=20:100"`` -> a range; ``"slow=20:100:10"`` -> stepped.

    >>> parse_grid_option("fast=5,10,20")
    ('fast', [5, 10, 20])
    >>> parse_grid_option("slow=20:100:40")
    ('slow', Range(low=20, high=100, step=40, log=False))
    """
    name, sep, text = option.partition("=")
    if not sep or not name.strip() or not text.strip():
        raise ConfigError(f"--grid {option!r}: expected NAME=V1,V2,... or NAME=LOW:HIGH[:STEP]")
    if ":" in text and "," not in text:
        parts = [_scalar(p) for p in text.split(":")]
        if len(parts) not in (2, 3) or not all(
            isinstance(p, int | float) and not isinstance(p, bool) for p in parts
        ):
            raise ConfigError(f"--grid {option!r}: a range is LOW:HIGH or LOW:HIGH:STEP (numbers)")
        return name.strip(), Range(*parts)
    return name.strip(), [_scalar(v) for v in text.split(",")]


def _values(name: str, raw: object) -> Values:
    where = f"[sweep.grid].{name}"
    if isinstance(raw, list):
        if not raw:
            raise ConfigError(f"{where}: an empty list")
        return raw
    if isinstance(raw, dict):
        unknown = set(raw) - {"low", "high", "step", "log"}
        if unknown or "low" not in raw or "high" not in raw:
            raise ConfigError(f"{where}: a range is {{low, high[, step][, log]}}, got {raw!r}")
        return Range(raw["low"], raw["high"], raw.get("step"), bool(raw.get("log", False)))
    raise ConfigError(f"{where}: expected a list of values or a {{low, high}} table, got {raw!r}")


def _int(sweep: dict[str, Any], key: str, minimum: int) -> int | None:
    value = sweep.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"[sweep].{key}: expected an integer >= {minimum}, got {value!r}")
    return value


def load_sweep(
    path: str | Path,
    *,
    grid_options: list[str] | None = None,
    samples: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    ray: str | None = None,
    out: Path | None = None,
    sort: str | None = None,
) -> SweepPlan:
    """Reads ``path`` (a backtest config or a sweep-only file) and applies the CLI options,
    which win over ``[sweep]`` (``--grid`` replaces the parameters it names)."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    sweep = doc.get("sweep", {})
    if not isinstance(sweep, dict):
        raise ConfigError(f"{path}: [sweep] must be a table")
    unknown = set(sweep) - _KEYS
    if unknown:
        raise ConfigError(f"[sweep]: unknown key(s) {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    fixed = sweep.get("fixed", {})
    grid_table = sweep.get("grid", {})
    if not isinstance(fixed, dict) or not isinstance(grid_table, dict):
        raise ConfigError("[sweep.grid] and [sweep.fixed] must be tables")
    target: BacktestTarget | FunctionTarget
    if "strategy" in doc:
        if "target" in sweep:
            raise ConfigError(
                "[sweep].target: this file is a backtest config ([strategy]); it sweeps "
                "[strategy.params], so leave target out"
            )
        from ferrox.backtest import parse_config

        config = parse_config(doc, base_dir=path.parent)
        params = {**config.strategy_params, **fixed}
        target = BacktestTarget(dataclasses.replace(config, strategy_params=params))
    elif isinstance(sweep.get("target"), str):
        target = FunctionTarget(sweep["target"], dict(fixed))
        target.function()
    else:
        raise ConfigError(
            f"{path}: nothing to sweep: give a backtest config ([strategy], [data], ...) "
            "or [sweep].target = 'module:function'"
        )
    space: dict[str, Values] = {name: _values(name, raw) for name, raw in grid_table.items()}
    for option in grid_options or []:
        name, values = parse_grid_option(option)
        space[name] = values
    if not space:
        raise ConfigError(f"{path}: no parameters to sweep: give --grid NAME=... or [sweep.grid]")
    folder = out
    if folder is None and sweep.get("out") is not None:
        folder = Path(str(sweep["out"]))
        folder = folder if folder.is_absolute() else path.parent / folder
    ray_address = ray if ray is not None else sweep.get("ray")
    return SweepPlan(
        target=target,
        space=space,
        samples=samples if samples is not None else _int(sweep, "samples", 1),
        seed=seed if seed is not None else (_int(sweep, "seed", 0) or 0),
        workers=workers if workers is not None else _int(sweep, "workers", 1),
        ray=str(ray_address) if ray_address else None,
        out=folder,
        sort=sort if sort is not None else sweep.get("sort"),
        fixed=dict(fixed),
    )

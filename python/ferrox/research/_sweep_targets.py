"""What a sweep runs for each parameter set: a backtest config or an importable function.

Targets are small picklable objects (a config dataclass, an import path), so they
travel to worker processes and Ray workers, which import what they need there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

from ferrox.errors import ConfigError


class SweepTarget(Protocol):
    """One parameter set in, the statistics (name -> float) out."""

    @property
    def key(self) -> str:
        """What identifies the target in the resume keys (config or import path)."""
        ...

    def __call__(self, params: Mapping[str, Any]) -> Mapping[str, float]:
        """Runs one parameter set."""
        ...


def _digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclasses.dataclass(frozen=True)
class BacktestTarget:
    """The event engine on a :class:`~ferrox.backtest.BacktestConfig`: each parameter set
    overrides ``[strategy.params]``; the result is the backtest's statistics."""

    config: Any  # BacktestConfig; Any keeps this module importable without the engine

    @property
    def key(self) -> str:
        """The config without its source text and strategy parameters."""
        fields = self.config.to_dict()
        fields.pop("source", None)
        fields.pop("strategy_params", None)
        return "backtest:" + _digest(fields)

    def __call__(self, params: Mapping[str, Any]) -> Mapping[str, float]:
        """Runs the backtest with ``{**[strategy.params], **params}``."""
        from ferrox.backtest import run_backtest

        merged = {**self.config.strategy_params, **params}
        config = dataclasses.replace(self.config, strategy_params=merged)
        return dict(run_backtest(config).stats)


@dataclasses.dataclass(frozen=True)
class FunctionTarget:
    """An importable ``module:function`` taking the parameter set (merged over ``fixed``)."""

    path: str
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def key(self) -> str:
        """The import path and the fixed parameters."""
        return f"function:{self.path}:" + _digest(dict(self.fixed))

    def function(self) -> Callable[[dict[str, Any]], Mapping[str, float]]:
        """Imports the function, with an error naming what is missing."""
        module_name, sep, attr = self.path.partition(":")
        if not sep or not module_name or not attr:
            raise ConfigError(f"sweep target {self.path!r} is not 'module:function'")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"sweep target: cannot import {module_name!r}: {exc}") from None
        function = getattr(module, attr, None)
        if not callable(function):
            raise ConfigError(f"sweep target: {module_name!r} has no function {attr!r}")
        return function  # type: ignore[no-any-return]

    def __call__(self, params: Mapping[str, Any]) -> Mapping[str, float]:
        """Calls the function with ``{**fixed, **params}``."""
        return self.function()({**self.fixed, **params})


def resolve_target(
    target: object, *, fixed: Mapping[str, Any] | None = None
) -> BacktestTarget | FunctionTarget:
    """A backtest config (``.toml`` path or ``BacktestConfig``), a ``"module:function"``
    path or an importable function -> a picklable target."""
    from ferrox.backtest import BacktestConfig, load_config

    if isinstance(target, BacktestTarget | FunctionTarget):
        return target
    if isinstance(target, BacktestConfig):
        config = target
    elif isinstance(target, Path) or (isinstance(target, str) and target.endswith(".toml")):
        config = load_config(target)
    elif isinstance(target, str):
        resolved = FunctionTarget(target, dict(fixed or {}))
        resolved.function()  # fail now, not in a thousand workers
        return resolved
    elif callable(target):
        module = getattr(target, "__module__", None)
        name = getattr(target, "__qualname__", "")
        if not module or "<" in name or module == "__main__":
            raise ConfigError(
                f"sweep target {target!r}: workers import targets by name; define it at the "
                "top level of an importable module (not in __main__ or a closure)"
            )
        return resolve_target(f"{module}:{name}", fixed=fixed)
    else:
        raise ConfigError(
            f"sweep target {target!r}: expected a backtest config (.toml or BacktestConfig), "
            "'module:function' or a function"
        )
    if fixed:
        config = dataclasses.replace(
            config, strategy_params={**config.strategy_params, **dict(fixed)}
        )
    return BacktestTarget(config)


def checked_stats(stats: object) -> dict[str, float]:
    """The target's answer as name -> float, or a TypeError saying what it returned."""
    if not isinstance(stats, Mapping):
        raise TypeError(f"the target returned {type(stats).__name__}, expected a dict of floats")
    out: dict[str, float] = {}
    for name, value in stats.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise TypeError(
                    f"the target's statistic {name!r} is {value!r}, expected a number"
                ) from None
        out[str(name)] = float(value)
    return out

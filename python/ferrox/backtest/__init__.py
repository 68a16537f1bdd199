"""Event-driven backtests: the Python strategy API, configs, the runner and results.

One engine (Rust) runs every strategy: Python strategies subclass
:class:`Strategy`; compiled ones are chosen by name with :class:`RustStrategy`.
Three lines run a config file::

    from ferrox.backtest import run_backtest
    result = run_backtest("backtest.toml")
    print(result.summary())
"""

from __future__ import annotations

from ferrox._core import RustStrategy
from ferrox.backtest.config import (
    BacktestConfig,
    LatencyConfig,
    VenueConfig,
    load_config,
    parse_config,
)
from ferrox.backtest.results import BacktestResult
from ferrox.backtest.runner import Backtest, build_backtest, run_backtest
from ferrox.backtest.strategy import BracketIds, Indicator, OrderSpec, Strategy, TwapState

__all__ = [
    "Backtest",
    "BacktestConfig",
    "BacktestResult",
    "BracketIds",
    "Indicator",
    "LatencyConfig",
    "OrderSpec",
    "RustStrategy",
    "Strategy",
    "TwapState",
    "VenueConfig",
    "build_backtest",
    "load_config",
    "parse_config",
    "run_backtest",
]

"""Event-driven backtests: the Python strategy API, configs, the runner and results.

One engine (Rust) runs every strategy: Python strategies subclass
:class:`Strategy`; compiled ones are chosen by name with :class:`RustStrategy`.
"""

from __future__ import annotations

from ferrox._core import RustStrategy
from ferrox.backtest.strategy import Indicator, Strategy

__all__ = ["Indicator", "RustStrategy", "Strategy"]

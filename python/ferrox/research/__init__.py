"""Research at scale: vectorised portfolio simulation over many columns at once, and
parameter sweeps (grid or random) across processes or on Ray."""

from __future__ import annotations

from ferrox.research.sweep import Range, best, grid, random_search, run_sweep
from ferrox.research.vectorized import (
    VectorizedResult,
    simulate_orders,
    simulate_signals,
    simulate_target,
)

__all__ = [
    "Range",
    "VectorizedResult",
    "best",
    "grid",
    "random_search",
    "run_sweep",
    "simulate_orders",
    "simulate_signals",
    "simulate_target",
]

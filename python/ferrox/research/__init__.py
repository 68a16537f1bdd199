"""Research at scale: vectorised portfolio simulation over many columns at once."""

from __future__ import annotations

from ferrox.research.vectorized import (
    VectorizedResult,
    simulate_orders,
    simulate_signals,
    simulate_target,
)

__all__ = [
    "VectorizedResult",
    "simulate_orders",
    "simulate_signals",
    "simulate_target",
]

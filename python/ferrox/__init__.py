"""ferrox: a trading and market-data platform with a Python face and a Rust engine.

Exact fixed-point values (:class:`Price`, :class:`Quantity`, :class:`Money`),
instrument ids written ``SYMBOL.VENUE``, loaders of real exchange formats and a
Parquet catalog. See the README for the two set-up commands.
"""

from __future__ import annotations

from ferrox._core import InstrumentId, Money, Price, Quantity, __version__
from ferrox.errors import (
    CatalogError,
    ConfigError,
    DataError,
    FerroxError,
    OrderRejected,
    RiskViolation,
)

__all__ = [
    "CatalogError",
    "ConfigError",
    "DataError",
    "FerroxError",
    "InstrumentId",
    "Money",
    "OrderRejected",
    "Price",
    "Quantity",
    "RiskViolation",
    "__version__",
]

"""The ferrox exception hierarchy.

Every error ferrox raises on purpose is a :class:`FerroxError`. Errors about bad
input are also :class:`ValueError`, so code written for the standard library
catches them too. Errors raised in the Rust core arrive as these same classes.
"""

from __future__ import annotations


class FerroxError(Exception):
    """Root of every ferrox error."""


class DataError(FerroxError, ValueError):
    """Input data is malformed: names the file, line or row, field and what was expected."""


class ConfigError(FerroxError, ValueError):
    """A configuration value or argument is invalid."""


class CatalogError(FerroxError):
    """The catalog is missing, corrupt, or does not hold what was asked for."""


class OrderRejected(FerroxError):
    """An order was rejected by a venue."""


class RiskViolation(FerroxError):
    """An order was denied by the risk engine."""


__all__ = [
    "CatalogError",
    "ConfigError",
    "DataError",
    "FerroxError",
    "OrderRejected",
    "RiskViolation",
]

"""Factor expressions over an instrument x time panel, and Qlib's Alpha158 set.

Expressions are strings in Qlib's language (``"Mean($close, 5) / $close"``) or
built in Python (``F.close.mean(5) / F.close``); :func:`compute` evaluates any
number of them over a polars panel in the Rust core, in parallel across
instruments, computing shared sub-expressions once; :func:`analyze` measures a
factor against forward returns (IC, quantile returns, turnover) in the manner of
alphalens. See ``docs/factors.md``.
"""

from __future__ import annotations

from ferrox.factors.alpha158 import WINDOWS, alpha158
from ferrox.factors.analysis import FactorAnalysis, analyze
from ferrox.factors.compute import Expressions, compute, operators, plan_size
from ferrox.factors.expr import Expr, ExprLike, F

__all__ = [
    "WINDOWS",
    "Expr",
    "ExprLike",
    "Expressions",
    "F",
    "FactorAnalysis",
    "alpha158",
    "analyze",
    "compute",
    "operators",
    "plan_size",
]

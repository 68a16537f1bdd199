"""Risk: portfolio risk measures (exposures, VaR/ES, stress, beta, margin).

Pre-trade controls (order checks, kill switch) live beside this in
``ferrox.risk.pretrade``.
"""

from __future__ import annotations

from ferrox.risk.portfolio import BenchmarkStats, GroupBy, MarginUsage, Portfolio
from ferrox.risk.positions import read_positions, read_prices
from ferrox.risk.stress import Scenario, load_scenarios, scenarios_from_dict
from ferrox.risk.var import (
    RiskEstimate,
    beta,
    correlation,
    covariance,
    historical_var,
    monte_carlo_var,
    parametric_var,
)

__all__ = [
    "BenchmarkStats",
    "GroupBy",
    "MarginUsage",
    "Portfolio",
    "RiskEstimate",
    "Scenario",
    "beta",
    "correlation",
    "covariance",
    "historical_var",
    "load_scenarios",
    "monte_carlo_var",
    "parametric_var",
    "read_positions",
    "read_prices",
    "scenarios_from_dict",
]

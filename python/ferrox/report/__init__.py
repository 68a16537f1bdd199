"""Reports of backtest results: a self-contained HTML tearsheet (``ferrox report``).

>>> from ferrox.report import write_tearsheet  # write_tearsheet("results/", "report.html")
"""

from __future__ import annotations

from ferrox.report.results import Results, load_results, read_benchmark
from ferrox.report.tearsheet import CHART_COLORS, render_tearsheet, write_tearsheet

__all__ = [
    "CHART_COLORS",
    "Results",
    "load_results",
    "read_benchmark",
    "render_tearsheet",
    "write_tearsheet",
]

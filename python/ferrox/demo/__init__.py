"""``ferrox demo``: the platform end to end on real (or synthetic) data.

A list of named steps (:data:`STEPS`) sharing a :class:`DemoContext`: find
data, import it into a fresh catalog, summarise it. Later features append
steps of their own.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from ferrox.demo.pipeline import DemoContext, Step, run_steps
from ferrox.demo.steps import STEPS

#: Where the demo builds its catalog unless told otherwise.
DEFAULT_CATALOG = Path(".ferrox/demo-catalog")


def run_demo(
    *,
    catalog: Path = DEFAULT_CATALOG,
    data: Path | None = None,
    synthetic: bool = False,
    console: Console | None = None,
) -> DemoContext:
    """Runs every demo step; returns the context with the catalog and results."""
    context = DemoContext(
        console=console or Console(),
        catalog_root=catalog,
        data_option=data,
        synthetic=synthetic,
    )
    return run_steps(STEPS, context)


__all__ = ["DEFAULT_CATALOG", "STEPS", "DemoContext", "Step", "run_demo", "run_steps"]

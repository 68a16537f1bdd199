"""The demo as a list of named steps sharing one context.

Later features add a step (books, bars, a backtest, the service) by appending
to :data:`ferrox.demo.STEPS`; each step reads what earlier ones left in the
:class:`DemoContext` and adds its own results.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from ferrox.data.catalog import Catalog
from ferrox.data.importer import ImportReport


@dataclass
class DemoContext:
    """What the steps share: options, found data, the catalog, results, notes."""

    console: Console
    catalog_root: Path
    #: A data folder given explicitly (``--data``); None to search.
    data_option: Path | None = None
    #: Generate synthetic data even when real data is found.
    synthetic: bool = False
    #: Folder the demo reads (real, or where synthetic data was written).
    data_dir: Path | None = None
    data_origin: str = ""
    catalog: Catalog | None = None
    #: Import reports by format name.
    imports: dict[str, ImportReport] = field(default_factory=dict)
    #: Results later steps may use, by name.
    results: dict[str, Any] = field(default_factory=dict)
    #: Seconds each step took, by step name.
    timings: dict[str, float] = field(default_factory=dict)

    def note(self, text: str) -> None:
        """Prints a dim note under the current step."""
        self.console.print(f"  [dim]{text}[/dim]")

    def require_catalog(self) -> Catalog:
        """The catalog an earlier step opened."""
        if self.catalog is None:
            raise RuntimeError("no catalog yet: the import step must run first")
        return self.catalog


@dataclass(frozen=True)
class Step:
    """One named stage of the demo."""

    name: str
    run: Callable[[DemoContext], None]


def run_steps(steps: Sequence[Step], context: DemoContext) -> DemoContext:
    """Runs the steps in order, printing a heading and the time of each."""
    total = time.perf_counter()
    for number, step in enumerate(steps, start=1):
        context.console.rule(f"[bold]{number}. {step.name}")
        started = time.perf_counter()
        step.run(context)
        context.timings[step.name] = time.perf_counter() - started
        context.note(f"{step.name}: {context.timings[step.name]:.2f} s")
    context.console.rule()
    context.console.print(f"demo finished in {time.perf_counter() - total:.1f} s")
    return context

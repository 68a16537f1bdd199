"""What every ``ferrox`` command shares: consoles and the error policy."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ferrox.errors import FerroxError

P = ParamSpec("P")
R = TypeVar("R")


class _State:
    debug: bool = False


STATE = _State()


def debug_enabled() -> bool:
    """Whether ``--debug`` or ``FERROX_DEBUG=1`` asks for tracebacks."""
    return STATE.debug or os.environ.get("FERROX_DEBUG", "") not in ("", "0")


def console() -> Console:
    """A console on the current stdout (wide when it is not a terminal, so tables stay whole)."""
    return Console(width=None if sys.stdout.isatty() else 160, soft_wrap=False)


def counting_progress(label: str) -> Progress:
    """A transient ``label [bar] done/total elapsed`` progress bar for long commands."""
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console(),
        transient=True,
    )


def err_console() -> Console:
    """A console on the current stderr."""
    return Console(stderr=True, soft_wrap=True, highlight=False)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Prints a one-line red error on stderr; returns the Exit to raise."""
    line = " ".join(message.split())
    err_console().print(f"[bold red]error:[/bold red] [red]{escape(line)}[/red]")
    return typer.Exit(code)


def handles_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turns ferrox and OS errors into a one-line message and exit code 1.

    A traceback is shown only with ``--debug`` or ``FERROX_DEBUG=1``.
    """

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (FerroxError, OSError) as exc:
            if debug_enabled():
                raise
            raise fail(str(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted; nothing was committed", 130) from None

    return wrapper

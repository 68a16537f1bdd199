"""Loaders of real formats, by ``--format`` name.

Each loader module exposes ``load(path, *, options, errors)`` yielding
:class:`~ferrox.data.loaders.base.Batch` objects, and may expose
``definitions(path, *, options)`` returning the instruments a file defines
(Databento definition files).
"""

from __future__ import annotations

import importlib

from ferrox.data.loaders.base import (
    Batch,
    DefinitionsReader,
    ErrorSink,
    Loader,
    LoaderOptions,
    OnError,
)
from ferrox.errors import ConfigError

#: ``--format`` name -> module implementing ``load``.
FORMATS: dict[str, str] = {
    "binance": "ferrox.data.loaders.binance",
    "tardis": "ferrox.data.loaders.tardis",
    "databento": "ferrox.data.loaders.databento",
    "csv": "ferrox.data.loaders.generic",
}


def get_loader(fmt: str) -> Loader:
    """The loader for ``--format fmt``; raises ConfigError listing the formats."""
    try:
        module = FORMATS[fmt]
    except KeyError:
        raise ConfigError(f"unknown format {fmt!r}; expected one of {sorted(FORMATS)}") from None
    loader: Loader = importlib.import_module(module).load
    return loader


def get_definitions_reader(fmt: str) -> DefinitionsReader | None:
    """The format's reader of instrument definitions, if it has one (None otherwise)."""
    module = FORMATS.get(fmt)
    if module is None:
        return None
    reader: DefinitionsReader | None = getattr(importlib.import_module(module), "definitions", None)
    return reader


__all__ = [
    "FORMATS",
    "Batch",
    "DefinitionsReader",
    "ErrorSink",
    "Loader",
    "LoaderOptions",
    "OnError",
    "get_definitions_reader",
    "get_loader",
]

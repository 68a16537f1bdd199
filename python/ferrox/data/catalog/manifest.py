"""The manifest: the one file that says what the catalog holds."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ferrox.data.catalog.layout import (
    _FORMAT_TAG,
)
from ferrox.errors import CatalogError
from ferrox.model.instrument import Instrument
from ferrox.model.schema import (
    SCHEMA_VERSION,
    DataKind,
)


@dataclass(frozen=True)
class FileEntry:
    """One committed Parquet file, as the manifest lists it."""

    path: str
    instrument: str
    kind: DataKind
    day: str
    rows: int
    ts_event_min: int
    ts_event_max: int
    ts_init_min: int
    ts_init_max: int
    source: str
    price_precision: int
    size_precision: int
    bytes: int
    seq: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileEntry:
        """Reads :meth:`to_dict`'s output back."""
        return cls(**{**data, "kind": DataKind(data["kind"])})


@dataclass(frozen=True)
class SourceRecord:
    """A source file that was imported, identified by the sha256 of its bytes."""

    sha256: str
    path: str
    imported_at: str
    rows: int
    format: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SourceRecord:
        """Reads :meth:`to_dict`'s output back."""
        return cls(**data)


@dataclass(frozen=True)
class Manifest:
    """What the catalog holds: files, instruments, imported sources."""

    schema_version: int = SCHEMA_VERSION
    generation: int = 0
    next_seq: int = 0
    instruments: dict[str, Instrument] = field(default_factory=dict)
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    files: tuple[FileEntry, ...] = ()

    def to_json(self) -> str:
        """The manifest file's text."""
        data = {
            "format": _FORMAT_TAG,
            "schema_version": self.schema_version,
            "generation": self.generation,
            "next_seq": self.next_seq,
            "instruments": {k: v.to_dict() for k, v in sorted(self.instruments.items())},
            "sources": {k: v.to_dict() for k, v in self.sources.items()},
            "files": [f.to_dict() for f in self.files],
        }
        return json.dumps(data, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        """Parses a manifest file, refusing newer schema versions."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CatalogError(f"{where}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != _FORMAT_TAG:
            raise CatalogError(f"{where}: not a ferrox catalog manifest")
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise CatalogError(
                f"{where}: catalog has schema version {version}; this ferrox reads "
                f"schema version {SCHEMA_VERSION} or older (upgrade ferrox)"
            )
        try:
            return cls(
                schema_version=version,
                generation=int(data["generation"]),
                next_seq=int(data["next_seq"]),
                instruments={k: Instrument.from_dict(v) for k, v in data["instruments"].items()},
                sources={k: SourceRecord.from_dict(v) for k, v in data["sources"].items()},
                files=tuple(FileEntry.from_dict(f) for f in data["files"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogError(f"{where}: malformed manifest ({exc!r})") from None

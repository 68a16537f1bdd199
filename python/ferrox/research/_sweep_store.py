"""A sweep's folder: finished parameter sets appended durably, one small JSONL part per batch.

Each part is written under a temporary name, flushed to disk and renamed, so a
part is either whole or absent, whatever interrupts the sweep. A re-run reads
every part and skips the sets whose key is already there with status ``ok``.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from ferrox.errors import ConfigError


@dataclass(frozen=True)
class SetResult:
    """What one parameter set gave: statistics, or a failure with its error."""

    key: str
    params: dict[str, Any]
    stats: dict[str, float] | None
    status: str  # "ok" or "failed"
    error: str | None = None

    def to_json(self) -> str:
        """One JSONL line (floats round-trip exactly; NaN as ``NaN``)."""
        return json.dumps(
            {
                "key": self.key,
                "params": self.params,
                "stats": self.stats,
                "status": self.status,
                "error": self.error,
            },
            default=str,
        )

    @classmethod
    def from_json(cls, line: str) -> SetResult:
        """The inverse of :meth:`to_json`."""
        raw = json.loads(line)
        return cls(raw["key"], raw["params"], raw["stats"], raw["status"], raw["error"])


class SweepStore:
    """``DIR/parts/*.jsonl`` (the finished sets) and ``DIR/results.parquet`` (the table)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.parts = self.folder / "parts"
        self._counter = itertools.count()

    def load(self) -> dict[str, SetResult]:
        """Every finished set by key (a later part wins over an earlier one)."""
        found: dict[str, SetResult] = {}
        if not self.parts.is_dir():
            return found
        for path in sorted(self.parts.glob("part-*.jsonl")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    result = SetResult.from_json(line)
                except (ValueError, KeyError, TypeError) as exc:
                    raise ConfigError(
                        f"{path}: line {number}: not a sweep result ({exc}); "
                        "remove the file to run those sets again"
                    ) from None
                found[result.key] = result
        return found

    def append(self, results: list[SetResult]) -> Path | None:
        """Writes one part holding ``results``, durably (temp name, fsync, rename)."""
        if not results:
            return None
        self.parts.mkdir(parents=True, exist_ok=True)
        # The time orders parts across runs, so a later result for a key wins on load.
        name = f"part-{time.time_ns():020d}-{os.getpid()}-{next(self._counter):06d}.jsonl"
        final = self.parts / name
        temp = self.parts / f".{name}.tmp"
        with temp.open("w") as out:
            out.write("".join(r.to_json() + "\n" for r in results))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, final)
        _fsync_dir(self.parts)
        return final

    def write_table(self, table: pl.DataFrame) -> Path:
        """Writes ``DIR/results.parquet`` atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / "results.parquet"
        temp = self.folder / ".results.parquet.tmp"
        table.write_parquet(temp)
        os.replace(temp, final)
        _fsync_dir(self.folder)
        return final


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory handles
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

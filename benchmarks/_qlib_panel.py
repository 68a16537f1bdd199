"""Write a polars panel in Qlib's binary data layout, so pyqlib's ``D.features`` can read it.

The layout (Qlib 0.9.7, ``qlib/data/storage/file_storage.py``)::

    <root>/calendars/day.txt                one date per line, the calendar in order
    <root>/instruments/all.txt              NAME<TAB>first date<TAB>last date
    <root>/features/<name>/<field>.day.bin  little-endian float32: the calendar index of
                                            the series' first value, then one value per
                                            calendar day up to its last (NaN on missing days)

Qlib's daily calendar needs dates, so each distinct panel time becomes one calendar day
(``2000-01-01`` plus its position among the panel's sorted times): windows count the same
periods on both sides, whatever the panel's real spacing (hourly bars, integer days).
Instruments get names ``I0000``, ``I0001``, ... in order of first appearance (Qlib
lower-cases paths; plain names avoid surprises). Only numpy and polars are needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

EPOCH = np.datetime64("2000-01-01", "D")


@dataclass(frozen=True)
class QlibPanel:
    """Where a panel was written and how its keys map to Qlib's."""

    root: Path
    #: Qlib name of each instrument, in order of first appearance.
    names: dict[object, str]
    #: The panel's distinct times, sorted; position i is calendar day ``EPOCH + i``.
    times: pl.Series

    @property
    def start(self) -> str:
        """First calendar date, ISO."""
        return str(EPOCH)

    @property
    def end(self) -> str:
        """Last calendar date, ISO."""
        return str(EPOCH + (len(self.times) - 1))


def write_qlib_panel(
    panel: pl.DataFrame,
    root: Path,
    fields: list[str],
    *,
    instrument: str = "instrument",
    time: str = "ts",
) -> QlibPanel:
    """Writes ``fields`` of ``panel`` under ``root`` in Qlib's day-frequency binary layout."""
    times = panel.get_column(time).unique().sort()
    keyed = panel.join(
        pl.DataFrame({time: times, "_pos": np.arange(len(times), dtype=np.int64)}),
        on=time,
        how="left",
    )
    order = panel.get_column(instrument).unique(maintain_order=True).to_list()
    names = {key: f"I{k:04d}" for k, key in enumerate(order)}
    (root / "calendars").mkdir(parents=True, exist_ok=True)
    (root / "instruments").mkdir(parents=True, exist_ok=True)
    dates = EPOCH + np.arange(len(times))
    (root / "calendars" / "day.txt").write_text("".join(f"{d}\n" for d in dates))
    lines = []
    for (key,), part in keyed.partition_by(instrument, as_dict=True, maintain_order=True).items():
        pos = part.get_column("_pos").to_numpy()
        first, last = int(pos.min()), int(pos.max())
        name = names[key]
        folder = root / "features" / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        for field in fields:
            series = np.full(last - first + 1, np.nan, dtype="<f4")
            series[pos - first] = part.get_column(field).cast(pl.Float64).to_numpy()
            np.concatenate([np.array([first], dtype="<f4"), series]).tofile(
                folder / f"{field.lower()}.day.bin"
            )
        lines.append(f"{name}\t{dates[first]}\t{dates[last]}\n")
    (root / "instruments" / "all.txt").write_text("".join(lines))
    return QlibPanel(root=root, names=names, times=times)

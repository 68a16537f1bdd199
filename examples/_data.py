"""Where the examples find a Binance capture: ``$FERROX_DATA``, ``../shared/data``,
or a synthetic one ferrox generates (and says so)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ferrox.demo.synthetic import generate

REPO = Path(__file__).resolve().parent.parent


def binance_capture() -> Path:
    """A Binance USD-M capture to play with."""
    for root in (os.environ.get("FERROX_DATA"), REPO.parent / "shared" / "data"):
        if root and (Path(root) / "binance-usdm" / "btcusdt_20240808.gz").is_file():
            return Path(root) / "binance-usdm" / "btcusdt_20240808.gz"
    folder = Path(tempfile.mkdtemp(prefix="ferrox-synthetic-"))
    paths = generate(folder)
    print(f"no real data found: using a synthetic capture in {folder}")
    return paths[0]

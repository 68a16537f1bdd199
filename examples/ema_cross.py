"""EMA cross on one-minute bars: import the bars, write a config, run, read the results.

Runs on the shared real month of BTC bars (or synthetic bars when there are
none), with the Python strategy and with its compiled twin, and checks they
agree.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from _data import minute_bars
from ferrox.backtest import run_backtest
from ferrox.data.catalog import Catalog
from ferrox.data.importer import import_files
from ferrox.data.loaders.base import LoaderOptions, OnError
from ferrox.model.schema import DataKind

work = Path(tempfile.mkdtemp(prefix="ferrox-ema-"))
catalog = Catalog(work / "catalog")
options = LoaderOptions(
    instrument="BTC-PERP.SIM",
    kind=DataKind.BARS,
    ts_unit="iso",
    bar_label="open",
    bar_interval="1m",
    price_precision=3,
    size_precision=4,
)
# A few source rows carry float artefacts finer than 4 decimals: skip them, never round.
import_files([minute_bars()], "csv", catalog, options=options, on_error=OnError.SKIP)

config = work / "ema_cross.toml"
config.write_text(
    """
[strategy]
path = "ferrox.strategies.ema_cross:EMACross"
[strategy.params]
instrument = "BTC-PERP.SIM"
fast = 10
slow = 30
quantity = "1"

[data]
catalog = "catalog"
instruments = ["BTC-PERP.SIM"]
kinds = ["bars"]

[venue]
account_type = "margin"
base_currency = "USD"
starting_balance = "100000"
maker_fee = "0.0002"
taker_fee = "0.0004"
"""
)
result = run_backtest(config)
print(result.summary())
print(result.trades.head(5))

# The compiled twin: same trades, same PnL.
rust = (
    config.read_text()
    .replace('path = "ferrox.strategies.ema_cross:EMACross"', 'rust = "ema_cross"')
    .replace('quantity = "1"', "quantity = 10000")
)
(work / "ema_cross_rust.toml").write_text(rust)
twin = run_backtest(work / "ema_cross_rust.toml")
assert twin.fills["price"].to_list() == result.fills["price"].to_list()
assert twin.account.equals(result.account)
print(f"python and rust strategies agree: {result.fills.height} fills")
result.save(work / "results")
print(f"results in {work / 'results'}")

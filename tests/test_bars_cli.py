"""``ferrox bars``: catalog trades or quotes to bar files, exact decimals, clear errors."""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ferrox.cli import app
from ferrox.data.catalog import Catalog
from ferrox.data.decimals import parse_decimals
from ferrox.data.loaders.base import Batch
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import DataKind

MINUTE = 60 * 10**9
T0 = 1_723_161_240 * 10**9  # a minute boundary, 2024-08-08T23:54:00Z
BTC = Instrument("BTCUSDT.TEST", InstrumentKind.SPOT, "0.01", "0.001", "BTC", "USDT", "USDT")
TRADES = [  # ts, price, size, aggressor side
    (T0 + 1, "61800.30", "0.006", 1),
    (T0 + 20 * 10**9, "61801.10", "2.507", 2),
    (T0 + 59 * 10**9, "61799.90", "0.010", 1),
    (T0 + MINUTE, "61800.00", "1.000", 2),
    (T0 + 3 * MINUTE + 5, "61802.05", "0.123", 1),
]
QUOTES = [  # ts, bid, ask, bid size, ask size
    (T0 + 1, "61800.30", "61800.40", "1.000", "2.001"),
    (T0 + 2, "61800.30", "61800.50", "1.500", "0.001"),
]


@pytest.fixture
def catalog_dir(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    trades = pa.table(
        {
            "ts_event": [t[0] for t in TRADES],
            "ts_init": [t[0] + 1_000 for t in TRADES],
            "price": parse_decimals(pa.array([t[1] for t in TRADES]), 2),
            "size": parse_decimals(pa.array([t[2] for t in TRADES]), 3),
            "aggressor_side": pa.array([t[3] for t in TRADES], pa.uint8()),
            "trade_id": [str(i) for i in range(len(TRADES))],
        }
    )
    quotes = pa.table(
        {
            "ts_event": [q[0] for q in QUOTES],
            "ts_init": [q[0] for q in QUOTES],
            "bid_price": parse_decimals(pa.array([q[1] for q in QUOTES]), 2),
            "ask_price": parse_decimals(pa.array([q[2] for q in QUOTES]), 2),
            "bid_size": parse_decimals(pa.array([q[3] for q in QUOTES]), 3),
            "ask_size": parse_decimals(pa.array([q[4] for q in QUOTES]), 3),
            "update_id": pa.array(range(len(QUOTES)), pa.uint64()),
        }
    )
    catalog = Catalog(root)
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades))
        txn.write(Batch(BTC, DataKind.QUOTES, quotes))
    return root


def run(catalog_dir: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    args = ["bars", "--catalog", str(catalog_dir), "--instrument", BTC.id, "--out", str(out)]
    result = CliRunner().invoke(app, [*args, *extra])
    return result.exit_code, result.stdout, result.stderr


def expected_minute_bars() -> list[dict[str, str]]:
    """OHLCV per minute computed with Decimal from the source text."""
    buckets: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    for ts, price, size, _ in TRADES:
        buckets[ts // MINUTE * MINUTE].append((Decimal(price), Decimal(size)))
    return [
        {
            "ts_open": str(start),
            "open": str(rows[0][0]),
            "high": str(max(p for p, _ in rows)),
            "low": str(min(p for p, _ in rows)),
            "close": str(rows[-1][0]),
            "volume": str(sum(s for _, s in rows)),
            "trade_count": str(len(rows)),
        }
        for start, rows in sorted(buckets.items())
    ]


def test_csv_bars_carry_exact_decimal_text(catalog_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bars.csv"
    code, stdout, _ = run(catalog_dir, out, "--spec", "1m")
    assert code == 0
    assert "wrote 3 1m bars of BTCUSDT.TEST from 5 trades" in stdout
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    keys = ["ts_open", "open", "high", "low", "close", "volume", "trade_count"]
    assert [{k: r[k] for k in keys} for r in rows] == expected_minute_bars()
    assert rows[0]["ts_open_iso"] == "2024-08-08T23:54:00.000000000Z"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_empty_bars_fill_the_gap_with_the_previous_close(catalog_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bars.csv"
    code, _, _ = run(catalog_dir, out, "--spec", "1m", "--empty-bars")
    assert code == 0
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["trade_count"] for r in rows] == ["3", "1", "0", "1"]
    assert [rows[2][k] for k in ("open", "high", "low", "close", "volume")] == [
        "61800.00",
        "61800.00",
        "61800.00",
        "61800.00",
        "0.000",
    ]
    assert rows[2]["ts_first"] == ""


def test_parquet_bars_hold_exact_decimal128(catalog_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bars.parquet"
    code, _, _ = run(catalog_dir, out, "--spec", "2-tick")
    assert code == 0
    table = pq.read_table(out)
    assert table.schema.field("close").type == pa.decimal128(38, 2)
    assert table.column("close").to_pylist() == [
        Decimal("61801.10"),
        Decimal("61800.00"),
        Decimal("61802.05"),
    ]
    assert table.column("volume").to_pylist() == [
        Decimal("2.513"),
        Decimal("1.010"),
        Decimal("0.123"),
    ]
    assert table.schema.metadata[b"ferrox.bar_spec"] == b"2-tick"


def test_mid_bars_from_quotes_have_one_more_decimal(catalog_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "mid.csv"
    code, stdout, _ = run(catalog_dir, out, "--spec", "1m", "--source", "mid")
    assert code == 0, stdout
    with out.open() as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["open"], row["close"]) == ("61800.350", "61800.400")
    mean_sizes = (Decimal("1.000") + Decimal("2.001") + Decimal("1.500") + Decimal("0.001")) / 2
    assert row["volume"] == "2.2510"
    assert Decimal(row["volume"]) == mean_sizes


def test_an_unknown_instrument_exits_1_listing_the_known_ones(
    catalog_dir: Path, tmp_path: Path
) -> None:
    args = [
        "bars",
        "-c",
        str(catalog_dir),
        "-i",
        "ETHUSDT.TEST",
        "-s",
        "1m",
        "-o",
        str(tmp_path / "x.csv"),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "instrument 'ETHUSDT.TEST' is not in the catalog" in result.stderr
    assert "known: BTCUSDT.TEST" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_bad_spec_exits_1_naming_the_position(catalog_dir: Path, tmp_path: Path) -> None:
    code, _, stderr = run(catalog_dir, tmp_path / "x.csv", "--spec", "1000-ticks")
    assert code == 1
    assert 'bar spec "1000-ticks": at position 6' in stderr


def test_an_empty_selection_exits_1(catalog_dir: Path, tmp_path: Path) -> None:
    code, _, stderr = run(catalog_dir, tmp_path / "x.csv", "--spec", "1m", "--start", "2030-01-01")
    assert code == 1
    assert "no trades of BTCUSDT.TEST" in stderr


def test_the_output_must_be_csv_or_parquet(catalog_dir: Path, tmp_path: Path) -> None:
    code, _, stderr = run(catalog_dir, tmp_path / "x.json", "--spec", "1m")
    assert code == 1
    assert "expected a .csv or .parquet file" in stderr


def test_real_capture_imported_then_aggregated_matches_its_decimal_text(
    shared_data: Path, tmp_path: Path
) -> None:
    from test_bars_time import binance_trades

    capture = shared_data / "binance-usdm" / "btcusdt_20240808.gz"
    catalog_dir = tmp_path / "catalog"
    runner = CliRunner()
    imported = runner.invoke(
        app, ["data", "import", str(capture), "--catalog", str(catalog_dir), "--format", "binance"]
    )
    assert imported.exit_code == 0, imported.stderr
    out = tmp_path / "bars.csv"
    args = [
        "bars",
        "-c",
        str(catalog_dir),
        "-i",
        "BTCUSDT.BINANCE-USDM",
        "-s",
        "1m",
        "-o",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    trades, price_precision, _ = binance_trades(capture)
    buckets: dict[int, list[int]] = defaultdict(list)
    for ts, price in zip(trades["ts_event"].tolist(), trades["price"].tolist(), strict=True):
        buckets[ts // MINUTE * MINUTE].append(price)
    expected = [
        (str(start), *(Decimal(p).scaleb(-price_precision) for p in (v[0], max(v), min(v), v[-1])))
        for start, v in sorted(buckets.items())
    ]
    got = [
        (
            r["ts_open"],
            Decimal(r["open"]),
            Decimal(r["high"]),
            Decimal(r["low"]),
            Decimal(r["close"]),
        )
        for r in rows
    ]
    assert got == expected
    assert sum(Decimal(r["volume"]) for r in rows) == sum(Decimal(q) for q in _sizes_text(capture))


def _sizes_text(capture: Path) -> list[str]:
    sizes = []
    with gzip.open(capture, "rt") as handle:
        for line in handle:
            message = json.loads(line.partition(" ")[2])
            if message.get("stream", "").endswith("@trade"):
                sizes.append(message["data"]["q"])
    return sizes

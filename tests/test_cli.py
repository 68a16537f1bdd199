"""The ``ferrox`` command line: data import / ls / export, errors and exit codes, time options."""

from __future__ import annotations

import csv
import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import ferrox.data.importer as importer_module
from ferrox import ConfigError, DataError
from ferrox.cli import app
from ferrox.data.catalog import Catalog
from ferrox.data.decimals import parse_decimals
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions
from ferrox.data.timeparse import format_time, parse_time
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import DataKind

DAY1 = 1_723_075_200 * 10**9  # 2024-08-08T00:00:00Z
BTC = Instrument("BTCUSDT.TEST", InstrumentKind.SPOT, "0.01", "0.001", "BTC", "USDT", "USDT")
ROWS = [
    (DAY1 + 1_000, "61800.30", "0.006"),
    (DAY1 + 2_000, "61800.20", "2.507"),
    (DAY1 + 86_400 * 10**9 + 5, "61799.90", "0.010"),
]


# A stand-in for a real loader: "ts_init,price,size" lines; "bad" lines are rejected.
def fake_load(path: Path, *, options: LoaderOptions, errors: ErrorSink) -> Iterator[Batch]:
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("bad"):
            errors.reject(str(path), number, "field 'price': expected a decimal", line)
            continue
        rows.append(line.split(","))
    ts = [int(r[0]) for r in rows]
    table = pa.table(
        {
            "ts_event": ts,
            "ts_init": ts,
            "price": parse_decimals(pa.array([r[1] for r in rows]), 2),
            "size": parse_decimals(pa.array([r[2] for r in rows]), 3),
            "aggressor_side": [1] * len(rows),
            "trade_id": [str(i) for i in range(len(rows))],
        }
    )
    yield Batch(BTC, DataKind.TRADES, table)


def table_rows(output: str, key: str) -> list[list[str]]:
    """Cells of the rich table rows of ``output`` that mention ``key``."""
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in output.splitlines()
        if key in line and "│" in line
    ]


@pytest.fixture(autouse=True)
def fake_csv_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer_module, "get_loader", lambda fmt: fake_load)
    monkeypatch.delenv("FERROX_DEBUG", raising=False)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "trades.csv"
    path.write_text("".join(f"{ts},{p},{q}\n" for ts, p, q in ROWS))
    return path


@pytest.fixture
def catalog_dir(tmp_path: Path, runner: CliRunner, source: Path) -> Path:
    root = tmp_path / "catalog"
    result = runner.invoke(app, ["data", "import", str(source), "-f", "csv", "-c", str(root)])
    assert result.exit_code == 0, result.output
    return root


def test_import_prints_rows_per_instrument_and_kind(
    runner: CliRunner, source: Path, tmp_path: Path
) -> None:
    root = tmp_path / "catalog"
    result = runner.invoke(
        app, ["data", "import", str(source), "--format", "csv", "--catalog", str(root)]
    )
    assert result.exit_code == 0, result.output
    assert table_rows(result.stdout, "BTCUSDT.TEST") == [["BTCUSDT.TEST", "trades", "3"]]
    assert Catalog(root).read(BTC.id, DataKind.TRADES).height == len(ROWS)


def test_reimport_says_the_source_was_skipped(
    runner: CliRunner, source: Path, catalog_dir: Path
) -> None:
    result = runner.invoke(
        app, ["data", "import", str(source), "-f", "csv", "-c", str(catalog_dir)]
    )
    assert result.exit_code == 0, result.output
    assert "skipped" in result.stdout
    assert "already imported" in result.stdout
    assert Catalog(catalog_dir).read(BTC.id, DataKind.TRADES).height == len(ROWS)


def test_ls_lists_instruments_kinds_rows_and_iso_utc_times(
    runner: CliRunner, catalog_dir: Path
) -> None:
    result = runner.invoke(app, ["data", "ls", "--catalog", str(catalog_dir)])
    assert result.exit_code == 0, result.output
    cells, _definition = table_rows(result.stdout, "BTCUSDT.TEST")
    assert cells[:4] == ["BTCUSDT.TEST", "trades", "2", "3"]
    assert cells[4:] == [format_time(ROWS[0][0]), format_time(ROWS[-1][0]), "2", "3"]
    assert cells[4] == "2024-08-08T00:00:00.000001000Z"


def test_export_csv_values_equal_the_source_decimal_text(
    runner: CliRunner, catalog_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "trades.csv"
    args = ["data", "export", "-c", str(catalog_dir), "--instrument", BTC.id]
    result = runner.invoke(app, [*args, "--kind", "trades", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["ts_init"]), r["price"], r["size"]) for r in rows] == ROWS
    assert rows[0]["ts_event_iso"] == "2024-08-08T00:00:00.000001000Z"


def test_export_selects_start_inclusive_end_exclusive(
    runner: CliRunner, catalog_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "day.csv"
    args = ["data", "export", "-c", str(catalog_dir), "--instrument", BTC.id, "--kind", "trades"]
    window = ["--start", str(ROWS[1][0]), "--end", "2024-08-09"]
    result = runner.invoke(app, [*args, *window, "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        assert [r["price"] for r in csv.DictReader(handle)] == [ROWS[1][1]]


def test_export_parquet_has_exact_decimal_columns(
    runner: CliRunner, catalog_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "trades.parquet"
    args = ["data", "export", "-c", str(catalog_dir), "--instrument", BTC.id, "--kind", "trades"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert table.schema.field("price").type == pa.decimal128(38, 2)
    assert table.column("price").to_pylist() == [Decimal(p) for _, p, _ in ROWS]
    assert table.column("size").to_pylist() == [Decimal(q) for _, _, q in ROWS]
    assert table.column("ts_init").to_pylist() == [ts for ts, _, _ in ROWS]


def test_export_leaves_no_temporary_file(
    runner: CliRunner, catalog_dir: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "exports"
    args = ["data", "export", "-c", str(catalog_dir), "--instrument", BTC.id, "--kind", "trades"]
    runner.invoke(app, [*args, "--out", str(out_dir / "t.csv")])
    assert os.listdir(out_dir) == ["t.csv"]


def test_bad_input_exits_1_with_one_line_naming_file_and_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{DAY1},1.00,1.000\nbad,row\n")
    root = tmp_path / "catalog"
    result = runner.invoke(app, ["data", "import", str(bad), "-f", "csv", "-c", str(root)])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {bad}:2: field 'price': expected a decimal"
    ]
    assert "Traceback" not in result.output
    assert Catalog(root).summary().height == 0


def test_quarantine_reports_where_the_rejected_records_went(
    runner: CliRunner, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{DAY1},1.00,1.000\nbad,row\n")
    root = tmp_path / "catalog"
    args = ["data", "import", str(bad), "-f", "csv", "-c", str(root), "--on-error", "quarantine"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (side,) = (root / "_quarantine").iterdir()
    assert str(side) in result.stdout.replace("\n", "")
    assert json.loads(side.read_text())["line"] == 2


def test_debug_lets_the_error_through_with_its_traceback(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("bad,row\n")
    args = ["--debug", "data", "import", str(bad), "-f", "csv", "-c", str(tmp_path / "c")]
    result = runner.invoke(app, args)
    assert isinstance(result.exception, DataError)


def test_reading_a_missing_catalog_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["data", "ls", "-c", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "no ferrox catalog" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "xml"],
        ["--format", "csv", "--columns", "ts"],
        ["--format", "csv", "--on-error", "ignore"],
    ],
)
def test_usage_errors_exit_2(
    runner: CliRunner, source: Path, tmp_path: Path, args: list[str]
) -> None:
    result = runner.invoke(app, ["data", "import", str(source), "-c", str(tmp_path / "c"), *args])
    assert result.exit_code == 2


def test_export_refuses_an_unknown_file_type(
    runner: CliRunner, catalog_dir: Path, tmp_path: Path
) -> None:
    args = ["data", "export", "-c", str(catalog_dir), "--instrument", BTC.id, "--kind", "trades"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1723075200000000001", DAY1 + 1),
        ("2024-08-08", DAY1),
        ("2024-08-08T00:00:00Z", DAY1),
        ("2024-08-08T00:00:01.5Z", DAY1 + 1_500_000_000),
        ("2024-08-08T00:00:00.000000007Z", DAY1 + 7),
        ("2024-08-08T02:30:00+02:30", DAY1),
        ("2024-08-07T20:00:00-04:00", DAY1),
        ("2024-08-08 00:00", DAY1),
    ],
)
def test_parse_time_reads_iso_dates_and_integer_ns(text: str, expected: int) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01", "2024-08-08T25:00:00Z", "1.5"])
def test_parse_time_refuses_other_text(text: str) -> None:
    with pytest.raises(ConfigError, match="time"):
        parse_time(text)


def test_console_script_runs(tmp_path: Path) -> None:
    ferrox = Path(sys.executable).parent / "ferrox"
    if not ferrox.exists():
        pytest.skip("the ferrox console script is not installed in this environment")
    result = subprocess.run(
        [str(ferrox), "data", "ls", "-c", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: no ferrox catalog")


def test_instruments_file_supplies_definitions(
    runner: CliRunner, source: Path, tmp_path: Path
) -> None:
    eth = Instrument("ETHUSDT.TEST", InstrumentKind.SPOT, "0.01", "0.0001", "ETH", "USDT", "USDT")
    definitions = tmp_path / "instruments.json"
    definitions.write_text(json.dumps([eth.to_dict()]))
    root = tmp_path / "catalog"
    args = ["data", "import", str(source), "-f", "csv", "-c", str(root)]
    result = runner.invoke(app, [*args, "--instruments", str(definitions)])
    assert result.exit_code == 0, result.output
    assert Catalog(root).instrument(eth.id) == eth


def test_a_malformed_instruments_file_is_named_in_the_error(
    runner: CliRunner, source: Path, tmp_path: Path
) -> None:
    definitions = tmp_path / "instruments.json"
    definitions.write_text('[{"id": "NODOT"}]')
    args = ["data", "import", str(source), "-f", "csv", "-c", str(tmp_path / "c")]
    result = runner.invoke(app, [*args, "--instruments", str(definitions)])
    assert result.exit_code == 1
    assert str(definitions) in result.stderr


def test_generic_csv_options_reach_the_loader(
    runner: CliRunner, source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[LoaderOptions] = []

    def capture(path: Path, *, options: LoaderOptions, errors: ErrorSink) -> Iterator[Batch]:
        seen.append(options)
        return iter(())

    monkeypatch.setattr(importer_module, "get_loader", lambda fmt: capture)
    args = ["data", "import", str(source), "-f", "csv", "-c", str(tmp_path / "c")]
    options = ["--instrument", "BTC-PERP.SIM", "--kind", "bars", "--columns", "ts=timestamp,open=o"]
    options += ["--ts-unit", "ms", "--tz", "Europe/London", "--price-precision", "3"]
    options += ["--size-precision", "2", "--bar-label", "close", "--bar-interval", "1m"]
    options += ["--venue", "SIM"]
    result = runner.invoke(app, [*args, *options])
    assert result.exit_code == 0, result.output
    assert seen == [
        LoaderOptions(
            instrument="BTC-PERP.SIM",
            venue="SIM",
            kind=DataKind.BARS,
            columns={"ts": "timestamp", "open": "o"},
            ts_unit="ms",
            tz="Europe/London",
            price_precision=3,
            size_precision=2,
            bar_label="close",
            bar_interval="1m",
        )
    ]


def run_cli(*args: str) -> None:
    """Runs ``ferrox ARGS`` in a fresh process (the real loaders, not this module's stand-in)."""
    run = subprocess.run(
        [sys.executable, "-m", "ferrox.cli", *args], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr


def test_real_file_round_trips_through_import_and_export(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "tardis" / "bitmex_trades_XBTUSD.csv"
    with open(source, newline="") as handle:
        expected = [
            (int(r["local_timestamp"]) * 1_000, Decimal(r["price"]), Decimal(r["amount"]))
            for r in csv.DictReader(handle)
        ]
    root, out = tmp_path / "catalog", tmp_path / "xbt.csv"
    run_cli("data", "import", str(source), "-f", "tardis", "-c", str(root))
    args = ["-c", str(root), "--instrument", "XBTUSD.BITMEX", "--kind", "trades"]
    run_cli("data", "export", *args, "--out", str(out))
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(int(r["ts_init"]), Decimal(r["price"]), Decimal(r["size"])) for r in rows] == expected


def test_binance_capture_exports_trades_as_their_source_text(
    shared_data: Path, tmp_path: Path
) -> None:
    capture = shared_data / "binance-usdm" / "btcusdt_20240808.gz"
    expected = []
    with gzip.open(capture, "rt") as handle:
        for line in handle:
            local_ns, body = line.split(" ", 1)
            data = json.loads(body).get("data", {})
            if data.get("e") == "trade":
                expected.append((int(local_ns), data["p"], data["q"]))
    expected.sort(key=lambda row: row[0])  # stable, as the catalog sorts by ts_init
    root, out = tmp_path / "catalog", tmp_path / "trades.csv"
    run_cli("data", "import", str(capture), "-f", "binance", "-c", str(root))
    args = ["-c", str(root), "--instrument", "BTCUSDT.BINANCE-USDM", "--kind", "trades"]
    run_cli("data", "export", *args, "--out", str(out))
    with open(out, newline="") as handle:
        rows = [(int(r["ts_init"]), r["price"], r["size"]) for r in csv.DictReader(handle)]
    assert rows == expected

"""The Parquet catalog and the importer: round trips, partitions, atomic imports, precisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import ferrox.data.catalog.reading as catalog_reading
import ferrox.data.catalog.transaction as catalog_transaction
import ferrox.data.importer as importer_module
from ferrox import CatalogError, DataError
from ferrox.data.catalog import MANIFEST_NAME, Catalog, decimal_text
from ferrox.data.decimals import max_decimals, parse_decimals
from ferrox.data.importer import SourceStatus, import_files
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions, OnError
from ferrox.model.instrument import Instrument, InstrumentKind, increment_for
from ferrox.model.schema import SCHEMA_VERSION, DataKind

DAY = 86_400 * 10**9
DAY1 = 1_723_075_200 * 10**9  # 2024-08-08T00:00:00Z
DAY2 = DAY1 + DAY

BTC = Instrument("BTCUSDT.TEST", InstrumentKind.SPOT, "0.01", "0.001", "BTC", "USDT", "USDT")


def trades(ts_init: list[int], prices: list[int] | None = None, first_id: int = 0) -> pa.Table:
    n = len(ts_init)
    return pa.table(
        {
            "ts_event": [t - 5 for t in ts_init],
            "ts_init": ts_init,
            "price": prices if prices is not None else [6_180_000 + i for i in range(n)],
            "size": [1 + i for i in range(n)],
            "aggressor_side": [1 + i % 2 for i in range(n)],
            "trade_id": [str(first_id + i) for i in range(n)],
        }
    )


def quotes(ts_init: list[int]) -> pa.Table:
    n = len(ts_init)
    return pa.table(
        {
            "ts_event": ts_init,
            "ts_init": ts_init,
            "bid_price": [6_180_020] * n,
            "ask_price": [6_180_030] * n,
            "bid_size": [2_507] * n,
            "ask_size": [2_510] * n,
            "update_id": list(range(n)),
        }
    )


# A tiny source format for importer tests: "ts_init,price,size" lines with
# decimal text; lines starting with "bad" are rejected, "boom" raises mid-file.
def fake_load(path: Path, *, options: LoaderOptions, errors: ErrorSink) -> Iterator[Batch]:
    inst = options.instruments.get(options.instrument or "", BTC)
    rows: list[list[str]] = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if line.startswith("bad"):
            errors.reject(str(path), number, "field 'price': not a decimal", line)
            continue
        if line.startswith("boom"):
            yield _fake_batch(inst, rows)
            raise DataError(f"{path}:{number}: the loader failed half-way")
        rows.append(line.split(","))
    yield _fake_batch(inst, rows)


def _fake_batch(inst: Instrument, rows: list[list[str]]) -> Batch:
    ts = [int(r[0]) for r in rows]
    table = trades(ts)
    table = table.set_column(
        2, "price", pa.array(parse_decimals(pa.array([r[1] for r in rows]), inst.price_precision))
    )
    table = table.set_column(
        3, "size", pa.array(parse_decimals(pa.array([r[2] for r in rows]), inst.size_precision))
    )
    return Batch(inst, DataKind.TRADES, table)


@pytest.fixture
def fake_format(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(importer_module, "get_loader", lambda fmt: fake_load)
    return "fake"


def source(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    """The manifest and every file it lists, byte for byte."""
    manifest = (root / MANIFEST_NAME).read_bytes()
    listed = json.loads(manifest)["files"]
    return {MANIFEST_NAME: manifest} | {f["path"]: (root / f["path"]).read_bytes() for f in listed}


def parquet_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.parquet")}


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog(tmp_path / "catalog")


def test_read_returns_the_rows_written(catalog: Catalog) -> None:
    first, second = trades([DAY1 + 1, DAY1 + 2]), trades([DAY1 + 3], first_id=2)
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, first))
        txn.write(Batch(BTC, DataKind.TRADES, second))
    expected = pl.DataFrame(pa.concat_tables([first, second]))
    got = catalog.read(BTC.id, DataKind.TRADES)
    assert got.select(expected.columns).cast(expected.schema).equals(expected)  # type: ignore[arg-type]


def test_each_kind_reads_back_in_its_own_schema(catalog: Catalog) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.QUOTES, quotes([DAY1 + 1, DAY1 + 2])))
    got = catalog.read(BTC.id, "quotes")
    assert got["update_id"].dtype == pl.UInt64
    assert got["ask_price"].to_list() == [6_180_030, 6_180_030]


def test_files_are_partitioned_by_utc_day_of_ts_init(catalog: Catalog) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1 + 1, DAY2 - 1, DAY2, DAY2 + 7])))
    days = {e.day: e.rows for e in catalog.files(BTC.id, DataKind.TRADES)}
    assert days == {"2024-08-08": 2, "2024-08-09": 2}
    for entry in catalog.files(BTC.id, DataKind.TRADES):
        assert entry.path.startswith(f"trades/{BTC.id}/date={entry.day}/part-")


def test_one_day_query_opens_only_that_days_files(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1 + 1, DAY2 + 1, DAY2 + DAY + 1])))
    opened: list[Path] = []
    real = catalog_reading._read_file

    def spy(path: Path, filters: object) -> pa.Table:
        opened.append(path)
        return real(path, filters)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_reading, "_read_file", spy)
    got = catalog.read(BTC.id, DataKind.TRADES, DAY2, DAY2 + DAY)
    assert got["ts_init"].to_list() == [DAY2 + 1]
    assert [p.parent.name for p in opened] == ["date=2024-08-09"]


def test_read_selects_the_half_open_range_of_ts_init(catalog: Catalog) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1 + t for t in (10, 20, 30, 40)])))
    got = catalog.read(BTC.id, DataKind.TRADES, start=DAY1 + 20, end=DAY1 + 40)
    assert got["ts_init"].to_list() == [DAY1 + 20, DAY1 + 30]


def test_read_sorts_stably_by_ts_init(catalog: Catalog) -> None:
    table = trades([DAY1 + 3, DAY1 + 1, DAY1 + 3, DAY1 + 2])
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, table))
    expected = pl.DataFrame(table).sort("ts_init", maintain_order=True)
    assert catalog.read(BTC.id, DataKind.TRADES)["trade_id"].to_list() == (
        expected["trade_id"].to_list()
    )


def test_parquet_files_carry_schema_version_instrument_kind_and_precisions(
    catalog: Catalog,
) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1])))
    (entry,) = catalog.files(BTC.id, DataKind.TRADES)
    meta = pq.read_schema(catalog.root / entry.path).metadata
    assert meta[b"ferrox.schema_version"] == str(SCHEMA_VERSION).encode()
    assert meta[b"ferrox.instrument"] == BTC.id.encode()
    assert meta[b"ferrox.kind"] == b"trades"
    assert (meta[b"ferrox.price_precision"], meta[b"ferrox.size_precision"]) == (b"2", b"3")


def test_manifest_lists_files_with_stats_sources_and_instruments(catalog: Catalog) -> None:
    with catalog.transaction() as txn:
        txn.begin_source("a.csv", sha256="ab" * 32)
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1 + 7, DAY1 + 9])))
    manifest = json.loads((catalog.root / MANIFEST_NAME).read_text())
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["instruments"][BTC.id] == BTC.to_dict()
    assert manifest["sources"]["ab" * 32]["rows"] == 2
    (entry,) = manifest["files"]
    assert (entry["rows"], entry["ts_init_min"], entry["ts_init_max"]) == (2, DAY1 + 7, DAY1 + 9)
    assert (entry["ts_event_min"], entry["ts_event_max"]) == (DAY1 + 2, DAY1 + 4)
    assert (entry["source"], entry["day"]) == ("ab" * 32, "2024-08-08")


def test_summary_counts_rows_per_instrument_and_kind(catalog: Catalog) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1 + 1, DAY2 + 5])))
        txn.write(Batch(BTC, DataKind.QUOTES, quotes([DAY1 + 2])))
    summary = catalog.summary().select(
        "instrument", "kind", "rows", "first_ts_init", "last_ts_init"
    )
    assert summary.rows() == [
        (BTC.id, "quotes", 1, DAY1 + 2, DAY1 + 2),
        (BTC.id, "trades", 2, DAY1 + 1, DAY2 + 5),
    ]


def test_unknown_instrument_error_lists_the_known_ids(catalog: Catalog) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1])))
    with pytest.raises(CatalogError, match=r"'ETHUSDT\.TEST'.*known: BTCUSDT\.TEST"):
        catalog.read("ETHUSDT.TEST", DataKind.TRADES)


def test_a_missing_catalog_is_empty_until_the_first_commit(tmp_path: Path) -> None:
    root = tmp_path / "new"
    assert Catalog(root).summary().height == 0
    assert not root.exists()
    with pytest.raises(CatalogError, match="no ferrox catalog"):
        Catalog(root, must_exist=True)
    with Catalog(root).transaction():
        pass
    assert Catalog(root, must_exist=True).summary().height == 0


def test_newer_schema_version_is_refused_naming_both_versions(catalog: Catalog) -> None:
    with catalog.transaction():
        pass
    path = catalog.root / MANIFEST_NAME
    manifest = json.loads(path.read_text())
    manifest["schema_version"] = SCHEMA_VERSION + 1
    path.write_text(json.dumps(manifest))
    with pytest.raises(CatalogError, match=rf"version {SCHEMA_VERSION + 1}.*{SCHEMA_VERSION}"):
        Catalog(catalog.root)


def test_read_rescales_coarser_sources_exactly_to_the_finest_precision(catalog: Catalog) -> None:
    coarse = Instrument(BTC.id, InstrumentKind.SPOT, "0.1", "0.01", "BTC", "USDT", "USDT")
    texts = {"0.1": ["61800.3"], "0.01": ["61800.25"]}
    with catalog.transaction() as txn:
        txn.begin_source("coarse", sha256="1" * 64)
        txn.write(Batch(coarse, DataKind.TRADES, trades([DAY1 + 1], [618003])))
        txn.begin_source("fine", sha256="2" * 64)
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1 + 2], [6180025])))
    price_dp, size_dp = catalog.precisions(BTC.id)
    got = catalog.read(BTC.id, DataKind.TRADES)
    as_decimal = [Decimal(raw).scaleb(-price_dp) for raw in got["price"].to_list()]
    assert as_decimal == [Decimal(t) for t in texts["0.1"] + texts["0.01"]]
    assert (price_dp, size_dp) == (max_decimals(pa.array(["0.1", "0.01"])), 3)
    # Sizes were 1 at 0.01 and 1 at 0.001: 0.01 and 0.001.
    assert got["size"].to_list() == [10, 1]


def test_decimal_text_writes_exact_decimals(catalog: Catalog) -> None:
    frame = pl.DataFrame(trades([DAY1], [6180030]))
    text = decimal_text(frame, DataKind.TRADES, 2, 3)
    assert (text["price"][0], text["size"][0]) == ("61800.30", "0.001")


def test_exception_in_a_transaction_leaves_the_catalog_as_it_was(catalog: Catalog) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1])))
    before = snapshot(catalog.root)

    def write_then_fail() -> None:
        with catalog.transaction() as txn:
            txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1 + 1, DAY2 + 1])))
            raise RuntimeError("a loader bug")

    with pytest.raises(RuntimeError, match="loader bug"):
        write_then_fail()
    assert snapshot(catalog.root) == before
    assert parquet_files(catalog.root) == set(before) - {MANIFEST_NAME}
    assert not (catalog.root / ".staging").exists()


def test_a_second_writer_is_refused_while_the_lock_is_held(catalog: Catalog) -> None:
    with catalog.transaction(), pytest.raises(CatalogError, match="lock"):
        catalog.transaction(lock_timeout=0).__enter__()


def test_failure_at_manifest_swap_removes_the_files_already_moved(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1])))
    before = snapshot(catalog.root)

    def disk_full(root: Path, manifest: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(catalog_transaction, "_swap_manifest", disk_full)
    with pytest.raises(OSError, match="space"), catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1 + 1, DAY2 + 1])))
    assert snapshot(catalog.root) == before
    assert parquet_files(catalog.root) == set(before) - {MANIFEST_NAME}


def test_crash_between_staging_and_manifest_swap_leaves_the_catalog_as_it_was(
    catalog: Catalog,
) -> None:
    with catalog.transaction() as txn:
        txn.write(Batch(BTC, DataKind.TRADES, trades([DAY1])))
    before = snapshot(catalog.root)
    # The process dies (os._exit: no cleanup runs) after the staged files were
    # moved into place, just before the manifest is swapped.
    script = textwrap.dedent(
        f"""
        import json, os, pyarrow as pa
        import ferrox.data.catalog as c
        import ferrox.data.catalog.transaction as t
        from ferrox.data.loaders.base import Batch
        from ferrox.model.instrument import Instrument
        from ferrox.model.schema import DataKind
        t._swap_manifest = lambda root, manifest: os._exit(3)
        inst = Instrument.from_dict(json.loads({BTC.to_json()!r}))
        table = pa.table({{"ts_event": [{DAY1 + 1}], "ts_init": [{DAY1 + 1}], "price": [1],
                          "size": [1], "aggressor_side": [1], "trade_id": ["x"]}})
        with c.Catalog({str(catalog.root)!r}).transaction() as txn:
            txn.write(Batch(inst, DataKind.TRADES, table))
        """
    )
    crashed = subprocess.run([sys.executable, "-c", script], check=False)
    assert crashed.returncode == 3
    assert snapshot(catalog.root) == before
    assert Catalog(catalog.root).read(BTC.id, DataKind.TRADES).height == 1
    assert parquet_files(catalog.root) > set(before) - {MANIFEST_NAME}  # strays left
    with Catalog(catalog.root).transaction():
        pass  # opening for writing removes them
    assert parquet_files(catalog.root) == set(before) - {MANIFEST_NAME}


def test_import_counts_rows_per_instrument_and_kind(
    catalog: Catalog, fake_format: str, tmp_path: Path
) -> None:
    a = source(tmp_path, "a.csv", [f"{DAY1 + 1},61800.30,0.010", f"{DAY1 + 2},61800.40,0.020"])
    report = import_files([a], fake_format, catalog)
    assert report.counts == {(BTC.id, DataKind.TRADES): 2}
    assert catalog.read(BTC.id, DataKind.TRADES)["price"].to_list() == [6_180_030, 6_180_040]


def test_reimporting_the_same_source_does_not_duplicate_rows(
    catalog: Catalog, fake_format: str, tmp_path: Path
) -> None:
    a = source(tmp_path, "a.csv", [f"{DAY1 + 1},61800.30,0.010"])
    import_files([a], fake_format, catalog)
    report = import_files([a, a], fake_format, catalog)
    assert [s.status for s in report.sources] == [SourceStatus.DUPLICATE] * 2
    assert catalog.read(BTC.id, DataKind.TRADES).height == 1


def test_force_replaces_the_sources_files_in_one_commit(
    catalog: Catalog, fake_format: str, tmp_path: Path
) -> None:
    a = source(tmp_path, "a.csv", [f"{DAY1 + 1},61800.30,0.010"])
    import_files([a], fake_format, catalog)
    old = {e.path for e in catalog.files(BTC.id, DataKind.TRADES)}
    report = import_files([a], fake_format, catalog, force=True)
    new = {e.path for e in catalog.files(BTC.id, DataKind.TRADES)}
    assert report.sources[0].status is SourceStatus.REPLACED
    assert catalog.read(BTC.id, DataKind.TRADES).height == 1
    assert not old & new
    assert parquet_files(catalog.root) == new


def test_loader_failure_after_some_batches_leaves_the_catalog_as_it_was(
    catalog: Catalog, fake_format: str, tmp_path: Path
) -> None:
    import_files([source(tmp_path, "a.csv", [f"{DAY1},1.00,1.000"])], fake_format, catalog)
    before = snapshot(catalog.root)
    good = source(tmp_path, "b.csv", [f"{DAY1 + 1},61800.30,0.010", f"{DAY2},61800.40,0.020"])
    failing = source(tmp_path, "c.csv", [f"{DAY2 + 1},61800.30,0.010", "boom", "x"])
    with pytest.raises(DataError, match=r"c\.csv:2"):
        import_files([good, failing], fake_format, catalog)
    assert snapshot(catalog.root) == before
    assert parquet_files(catalog.root) == set(before) - {MANIFEST_NAME}


def test_bad_record_under_fail_names_file_and_line(
    catalog: Catalog, fake_format: str, tmp_path: Path
) -> None:
    bad = source(tmp_path, "bad.csv", [f"{DAY1},1.00,1.000", "bad,row"])
    with pytest.raises(DataError, match=r"bad\.csv:2: field 'price'"):
        import_files([bad], fake_format, catalog)
    assert catalog.summary().height == 0


def test_skip_counts_bad_records_by_reason(
    catalog: Catalog, fake_format: str, tmp_path: Path
) -> None:
    bad = source(tmp_path, "bad.csv", [f"{DAY1},1.00,1.000", "bad,1", "bad,2"])
    report = import_files([bad], fake_format, catalog, on_error=OnError.SKIP)
    assert dict(report.skipped) == {"field 'price'": 2}
    assert report.rows == 1
    assert report.quarantine_files == []


def test_quarantine_writes_rejected_lines_to_a_side_file(
    catalog: Catalog, fake_format: str, tmp_path: Path
) -> None:
    bad = source(tmp_path, "bad.csv", [f"{DAY1},1.00,1.000", "bad,1"])
    report = import_files([bad], fake_format, catalog, on_error=OnError.QUARANTINE)
    (side,) = report.quarantine_files
    assert side.parent == catalog.root / "_quarantine"
    assert side.name.startswith("bad.csv.")
    assert side.name.endswith(".rejected.jsonl")
    records = [json.loads(line) for line in side.read_text().splitlines()]
    assert records == [
        {"source": str(bad), "line": 2, "reason": "field 'price': not a decimal", "text": "bad,1"}
    ]


def test_import_stores_given_instrument_definitions(
    catalog: Catalog, fake_format: str, tmp_path: Path
) -> None:
    eth = Instrument(
        "ETHUSDT.TEST", InstrumentKind.SPOT, increment_for(2), "0.0001", "ETH", "USDT", "USDT"
    )
    a = source(tmp_path, "a.csv", [f"{DAY1},2601.37,0.0005"])
    import_files(
        [a],
        fake_format,
        catalog,
        options=LoaderOptions(instrument=eth.id, instruments={eth.id: eth}),
    )
    assert catalog.instrument(eth.id) == eth
    assert catalog.read(eth.id, DataKind.TRADES)["size"].to_list() == [5]


def test_missing_source_file_is_a_data_error_naming_it(catalog: Catalog, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.gz: no such file"):
        import_files([tmp_path / "nope.gz"], "binance", catalog)


def test_a_non_catalog_directory_is_not_taken_over(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(CatalogError, match="not empty"):
        Catalog(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]

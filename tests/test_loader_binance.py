"""The Binance capture loader, checked against plain ``gzip`` + ``json`` + ``Decimal``.

Every expected number here is computed from the capture text by the test
itself (an independent reading of each line), never by ferrox.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings

from ferrox.data.loaders import binance
from ferrox.data.loaders.base import Batch, ErrorSink, LoaderOptions, OnError
from ferrox.errors import DataError
from ferrox.model.instrument import Instrument, InstrumentKind
from ferrox.model.schema import (
    FLAG_LAST,
    FLAG_SNAPSHOT,
    AggressorSide,
    BookAction,
    BookSide,
    DataKind,
)

CAPTURES = {
    "binance-usdm/btcusdt_20240808.gz": ("BTCUSDT.BINANCE-USDM", 2, 3),
    "binance-usdm/ethusdt_20240808.gz": ("ETHUSDT.BINANCE-USDM", 2, 3),
    "binance-spot/btcusdt_20240808.gz": ("BTCUSDT.BINANCE", 2, 6),
    "binance-spot/ethusdt_20240808.gz": ("ETHUSDT.BINANCE", 2, 5),
}


def _load(path: Path, errors: ErrorSink | None = None, **options: Any) -> list[Batch]:
    sink = errors if errors is not None else ErrorSink()
    return list(binance.load(path, options=LoaderOptions(**options), errors=sink))


def _tables(batches: list[Batch]) -> dict[DataKind, pa.Table]:
    by_kind: dict[DataKind, list[pa.Table]] = {}
    for b in batches:
        by_kind.setdefault(b.kind, []).append(b.table)
    return {kind: pa.concat_tables(tables) for kind, tables in by_kind.items()}


def _raw(text: str, precision: int) -> int:
    value = Decimal(text).scaleb(precision)
    assert value == value.to_integral_value(), f"{text} is finer than {precision} decimals"
    return int(value)


@dataclass
class Expected:
    """What a plain reading of a capture says each kind must hold."""

    counts: Counter[str] = field(default_factory=Counter)
    ts_event: dict[str, list[int]] = field(default_factory=dict)
    ts_init: dict[str, list[int]] = field(default_factory=dict)
    first_trade: dict[str, Any] = field(default_factory=dict)
    first_trade_ts_init: int = 0
    first_depth: dict[str, Any] = field(default_factory=dict)
    snapshot: dict[str, Any] = field(default_factory=dict)

    def row(self, kind: str, ts_event: int, ts_init: int, n: int = 1) -> None:
        self.counts[kind] += n
        self.ts_event.setdefault(kind, []).append(ts_event)
        self.ts_init.setdefault(kind, []).append(ts_init)


def _expected(path: Path) -> Expected:
    exp = Expected()
    with gzip.open(path, "rt") as f:
        for line in f:
            ns_text, text = line.split(" ", 1)
            ns = int(ns_text)
            msg = json.loads(text)
            if "stream" not in msg:
                ts = msg.get("T", msg.get("E"))
                ts_event = ts * 1_000_000 if ts is not None else ns
                exp.row("deltas", ts_event, ns, 1 + len(msg["bids"]) + len(msg["asks"]))
                exp.snapshot = msg
                continue
            data = msg["data"]
            suffix = msg["stream"].split("@", 1)[1]
            if suffix == "trade":
                exp.row("trades", data["T"] * 1_000_000, ns)
                if not exp.first_trade:
                    exp.first_trade, exp.first_trade_ts_init = data, ns
            elif suffix == "bookTicker":
                ts = data.get("T", data.get("E"))
                exp.row("quotes", ts * 1_000_000 if ts is not None else ns, ns)
            elif suffix.startswith("depth"):
                ts = data.get("T", data["E"])
                exp.row("deltas", ts * 1_000_000, ns, max(1, len(data["b"]) + len(data["a"])))
                if not exp.first_depth:
                    exp.first_depth = data
            else:
                raise AssertionError(f"unexpected stream {msg['stream']}")
    return exp


@pytest.fixture(scope="module", params=list(CAPTURES))
def capture(request: pytest.FixtureRequest, shared_data: Path) -> tuple[str, Path, Expected]:
    name: str = request.param
    path = shared_data / name
    return name, path, _expected(path)


@pytest.fixture(scope="module")
def loaded(capture: tuple[str, Path, Expected]) -> tuple[list[Batch], dict[DataKind, pa.Table]]:
    _, path, _ = capture
    batches = _load(path)
    return batches, _tables(batches)


# --- the four real captures ------------------------------------------------------


def test_counts_every_row_of_every_kind(capture: Any, loaded: Any) -> None:
    _, _, exp = capture
    _, tables = loaded
    got = {kind.value: t.num_rows for kind, t in tables.items()}
    assert got == dict(exp.counts)


def test_first_and_last_times_per_kind_match_the_capture(capture: Any, loaded: Any) -> None:
    _, _, exp = capture
    _, tables = loaded
    for kind, table in tables.items():
        ts_event = table["ts_event"].to_pylist()
        ts_init = table["ts_init"].to_pylist()
        # Depth rows repeat their message's times once per level.
        assert (ts_event[0], ts_event[-1]) == (
            exp.ts_event[kind.value][0],
            exp.ts_event[kind.value][-1],
        )
        assert (ts_init[0], ts_init[-1]) == (
            exp.ts_init[kind.value][0],
            exp.ts_init[kind.value][-1],
        )


def test_names_each_capture_instrument_with_its_precisions(capture: Any, loaded: Any) -> None:
    name, _, _ = capture
    batches, _ = loaded
    inst_id, price_precision, size_precision = CAPTURES[name]
    inst = batches[0].instrument
    assert all(b.instrument == inst for b in batches)
    assert (inst.id, inst.price_precision, inst.size_precision) == (
        inst_id,
        price_precision,
        size_precision,
    )
    assert inst.defined


def test_first_trade_is_exact(capture: Any, loaded: Any) -> None:
    name, _, exp = capture
    _, tables = loaded
    _, pp, sp = CAPTURES[name]
    t = exp.first_trade
    row = tables[DataKind.TRADES].slice(0, 1).to_pylist()[0]
    assert row == {
        "ts_event": t["T"] * 1_000_000,
        "ts_init": exp.first_trade_ts_init,
        "price": _raw(t["p"], pp),
        "size": _raw(t["q"], sp),
        "aggressor_side": AggressorSide.SELLER if t["m"] else AggressorSide.BUYER,
        "trade_id": str(t["t"]),
    }


def test_first_depth_diff_levels_are_exact(capture: Any, loaded: Any) -> None:
    name, _, exp = capture
    _, tables = loaded
    _, pp, sp = CAPTURES[name]
    d = exp.first_depth
    levels = [(BookSide.BID, p, q) for p, q in d["b"]] + [(BookSide.ASK, p, q) for p, q in d["a"]]
    rows = tables[DataKind.DELTAS].slice(0, len(levels)).to_pylist()
    assert [(r["side"], r["price"], r["size"]) for r in rows] == [
        (side, _raw(p, pp), _raw(q, sp)) for side, p, q in levels
    ]
    assert [r["action"] for r in rows] == [
        BookAction.DELETE if Decimal(q) == 0 else BookAction.UPDATE for _, _, q in levels
    ]
    assert {(r["sequence"], r["first_update_id"], r["prev_update_id"]) for r in rows} == {
        (d["u"], d["U"], d.get("pu", 0))
    }
    assert [r["flags"] for r in rows] == [0] * (len(levels) - 1) + [FLAG_LAST]


def test_snapshot_is_a_clear_then_its_levels(capture: Any, loaded: Any) -> None:
    name, _, exp = capture
    _, tables = loaded
    _, pp, sp = CAPTURES[name]
    snap = exp.snapshot
    deltas = tables[DataKind.DELTAS]
    actions = deltas["action"].to_pylist()
    start = actions.index(BookAction.CLEAR)
    n = 1 + len(snap["bids"]) + len(snap["asks"])
    rows = deltas.slice(start, n).to_pylist()
    assert rows[0]["sequence"] == snap["lastUpdateId"]
    best_bid, best_ask = rows[1], rows[1 + len(snap["bids"])]
    assert (best_bid["side"], best_bid["price"], best_bid["size"]) == (
        BookSide.BID,
        _raw(snap["bids"][0][0], pp),
        _raw(snap["bids"][0][1], sp),
    )
    assert (best_ask["side"], best_ask["price"]) == (BookSide.ASK, _raw(snap["asks"][0][0], pp))
    assert {r["action"] for r in rows[1:]} == {BookAction.ADD}
    assert [r["flags"] & FLAG_SNAPSHOT for r in rows] == [FLAG_SNAPSHOT] * n
    assert [r["flags"] & FLAG_LAST for r in rows] == [0] * (n - 1) + [FLAG_LAST]


def test_spot_quotes_take_the_receive_time_as_event_time(shared_data: Path) -> None:
    tables = _tables(_load(shared_data / "binance-spot/ethusdt_20240808.gz"))
    quotes = tables[DataKind.QUOTES]
    assert quotes["ts_event"].equals(quotes["ts_init"])


def test_definitions_in_options_replace_the_built_ins(shared_data: Path) -> None:
    coarse = Instrument(
        "BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "1.00", "0.001", "BTC", "USDT", "USDT"
    )
    with pytest.raises(DataError, match=r"btcusdt_20240808\.gz:1: too fine: data\.b\[0\]\[0\]"):
        _load(
            shared_data / "binance-usdm/btcusdt_20240808.gz",
            instruments={coarse.id: coarse},
        )


def test_csv_paths_go_to_the_depth_csv_loader(shared_data: Path) -> None:
    batches = _load(shared_data / "binance-usdm/nautilus-btcusdt-depth-snap.csv")
    assert {b.kind for b in batches} == {DataKind.DELTAS}
    assert batches[0].instrument.id == "BTCUSDT.BINANCE-USDM"


# --- synthetic captures: rules and bad input ---------------------------------------

TRADE = (
    '{"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256321,'
    '"s":"BTCUSDT","t":%d,"p":"%s","q":"0.006","X":"MARKET","m":false}}'
)
AGG = (
    '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1723161256500,"a":77,'
    '"s":"BTCUSDT","p":"61800.20","q":"0.100","f":1,"l":2,"T":1723161256499,"m":true}}'
)
DEPTH = (
    '{"stream":"btcusdt@depth@0ms","data":{"e":"depthUpdate","E":1723161256299,'
    '"T":1723161256298,"s":"BTCUSDT","U":10,"u":12,"pu":9,'
    '"b":[["61800.10","0.014"],["%s","0.000"]],"a":[["61800.20","1.500"]]}}'
)


def _write(path: Path, lines: list[str], *, compress: bool = True) -> Path:
    text = "".join(f"{1_000 + i} {line}\n" for i, line in enumerate(lines))
    if compress:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def _good_lines() -> list[str]:
    return [DEPTH % "61700.00", TRADE % (1, "61800.30"), TRADE % (2, "61800.40")]


def test_agg_trades_are_their_own_kind(tmp_path: Path) -> None:
    path = _write(tmp_path / "agg.gz", [TRADE % (1, "61800.30"), AGG])
    tables = _tables(_load(path))
    assert tables[DataKind.TRADES].num_rows == 1
    agg = tables[DataKind.AGG_TRADES].to_pylist()
    assert agg == [
        {
            "ts_event": 1723161256499 * 1_000_000,
            "ts_init": 1_001,
            "price": 6_180_020,
            "size": 100,
            "aggressor_side": AggressorSide.SELLER,
            "trade_id": "77",
        }
    ]


def test_truncated_gzip_names_the_file_and_the_line_reached(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    lines = _good_lines() * 200
    _write(path, lines)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(DataError, match=r"truncated or corrupt gzip") as info:
        _load(path)
    message = str(info.value)
    assert message.startswith(f"{path}:")
    line = int(message.split(":")[1])
    assert 1 < line <= len(lines)


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.gz", [TRADE % (1, "61800.30"), '{"stream":"btcusdt@trade",'])
    with pytest.raises(DataError, match=rf"^{path}:2: malformed JSON: at column \d+: expected"):
        _load(path)


def test_non_numeric_price_names_the_level_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "nan.gz", [DEPTH % "61x00.00"])
    with pytest.raises(DataError) as info:
        _load(path)
    assert str(info.value) == (
        f'{path}:1: bad decimal: data.b[1][0]: expected a decimal, found "61x00.00" '
        "(invalid character 'x' at position 2)"
    )


def test_price_finer_than_the_tick_is_refused(tmp_path: Path) -> None:
    # BTCUSDT futures tick is 0.10.
    path = _write(tmp_path / "tick.gz", [TRADE % (1, "61800.35")])
    with pytest.raises(DataError, match=r"tick\.gz:1: too fine: data\.p: \"61800\.35\" is not a"):
        _load(path)


def test_receive_time_going_backwards_names_both_times(tmp_path: Path) -> None:
    path = tmp_path / "back.gz"
    text = f"2000 {TRADE % (1, '61800.30')}\n1999 {TRADE % (2, '61800.30')}\n"
    path.write_bytes(gzip.compress(text.encode()))
    with pytest.raises(DataError, match=r"back\.gz:2: ts_init backwards: 1999 is before 2000"):
        _load(path)


def test_unknown_stream_is_named_with_the_supported_ones(tmp_path: Path) -> None:
    kline = '{"stream":"btcusdt@kline_1m","data":{"e":"kline","s":"BTCUSDT"}}'
    path = _write(tmp_path / "kline.gz", [kline])
    with pytest.raises(DataError, match=r'kline\.gz:1: unknown stream: "btcusdt@kline_1m"') as e:
        _load(path)
    assert "<symbol>@bookTicker" in str(e.value)


def test_skip_counts_bad_lines_by_reason_and_keeps_no_partial_rows(tmp_path: Path) -> None:
    lines = [
        DEPTH % "61700.00",
        DEPTH % "61x00.00",
        "not json",
        TRADE % (1, "61800.35"),
        TRADE % (2, "61800.30"),
    ]
    path = _write(tmp_path / "skip.gz", lines)
    sink = ErrorSink(OnError.SKIP)
    tables = _tables(_load(path, sink))
    assert sink.skipped == 3
    assert sink.reasons == Counter({"bad decimal": 1, "malformed JSON": 1, "too fine": 1})
    assert tables[DataKind.DELTAS].num_rows == 3, "the bad diff's good level is not kept"
    assert tables[DataKind.TRADES]["trade_id"].to_pylist() == ["2"]
    assert sink.rejected == []


def test_quarantine_returns_the_raw_lines(tmp_path: Path) -> None:
    bad = TRADE % (1, "61800.35")
    path = _write(tmp_path / "q.gz", [DEPTH % "61700.00", bad, "garbage"])
    sink = ErrorSink(OnError.QUARANTINE)
    _load(path, sink)
    assert [(r.source, r.line, r.text) for r in sink.rejected] == [
        (str(path), 2, f"1001 {bad}"),
        (str(path), 3, "1002 garbage"),
    ]
    assert sink.rejected[0].reason.startswith("too fine: data.p")


def test_small_batch_rows_split_the_capture_without_changing_it(tmp_path: Path) -> None:
    path = _write(tmp_path / "split.gz", _good_lines() * 5)
    whole = _tables(_load(path))
    batches = _load(path, batch_rows=2)
    assert len(batches) > len(whole)
    assert all(_tables(batches)[k].equals(whole[k]) for k in whole)


def test_plain_text_captures_read_like_gzip_ones(tmp_path: Path) -> None:
    gz = _tables(_load(_write(tmp_path / "a.gz", _good_lines())))
    plain = _tables(_load(_write(tmp_path / "a.txt", _good_lines(), compress=False)))
    assert gz.keys() == plain.keys()
    assert all(gz[k].equals(plain[k]) for k in gz)


def test_snapshot_in_a_capture_of_several_symbols_asks_to_split(tmp_path: Path) -> None:
    eth = (TRADE % (3, "2600.10")).replace("BTCUSDT", "ETHUSDT").replace("btcusdt", "ethusdt")
    snapshot = '{"lastUpdateId":11,"bids":[["61800.10","0.014"]],"asks":[["61800.20","1.500"]]}'
    path = _write(tmp_path / "two.gz", [TRADE % (1, "61800.30"), eth, snapshot])
    with pytest.raises(DataError, match=r"two\.gz:3: snapshot without symbol.*split"):
        _load(path)


def test_named_symbol_takes_a_snapshot_that_precedes_every_message(tmp_path: Path) -> None:
    snapshot = '{"lastUpdateId":11,"bids":[["61800.10","0.014"]],"asks":[]}'
    path = _write(tmp_path / "named.gz", [snapshot])
    tables = _tables(_load(path, instrument="BTCUSDT.BINANCE-USDM"))
    assert tables[DataKind.DELTAS]["action"].to_pylist() == [BookAction.CLEAR, BookAction.ADD]


def test_unknown_symbols_get_inferred_precisions(tmp_path: Path) -> None:
    sol = (TRADE % (1, "151.2300")).replace("BTCUSDT", "SOLUSDT").replace("btcusdt", "solusdt")
    [batch] = _load(_write(tmp_path / "sol.gz", [sol]))
    inst = batch.instrument
    assert (inst.id, inst.price_precision, inst.size_precision, inst.defined) == (
        "SOLUSDT.BINANCE-USDM",
        4,
        3,
        False,
    )
    assert (inst.base_currency, inst.quote_currency) == ("SOL", "USDT")
    assert batch.table["price"].to_pylist() == [1_512_300]


# --- robustness ----------------------------------------------------------------------

_SEED_LINES = [
    DEPTH % "61700.00",
    TRADE % (1, "61800.30"),
    '{"lastUpdateId":11,"E":1,"T":1,"bids":[["61800.10","0.014"]],"asks":[["61800.20","1.5"]]}',
    AGG,
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=8),
    cut=st.integers(0, 10_000),
    compress=st.booleans(),
    policy=st.sampled_from(list(OnError)),
)
def test_random_corruption_raises_data_error_or_loads_but_never_crashes(
    tmp_path: Path,
    edits: list[tuple[int, int]],
    cut: int,
    compress: bool,
    policy: OnError,
) -> None:
    text = "".join(f"{1_000 + i} {line}\n" for i, line in enumerate(_SEED_LINES * 2))
    raw = bytearray(gzip.compress(text.encode()) if compress else text.encode())
    for at, byte in edits:
        raw[at % len(raw)] = byte
    path = tmp_path / "fuzz.bin"
    path.write_bytes(bytes(raw[: max(1, len(raw) - cut % len(raw))]))
    try:
        batches = _load(path, ErrorSink(policy))
    except DataError:
        return
    for batch in batches:
        assert batch.table.num_rows > 0

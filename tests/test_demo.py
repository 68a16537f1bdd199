"""The demo pipeline and its synthetic Binance capture."""

from __future__ import annotations

import gzip
import io
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from ferrox import ConfigError
from ferrox.data.catalog import Catalog
from ferrox.demo import STEPS, DemoContext, Step, run_demo, run_steps
from ferrox.demo.synthetic import MARKETS, generate, write_capture
from ferrox.model.schema import DataKind


def quiet() -> Console:
    return Console(file=io.StringIO(), width=160)


def messages(path: Path) -> list[tuple[int, dict[str, object]]]:
    with gzip.open(path, "rt") as handle:
        return [(int(ts), json.loads(body)) for ts, body in (ln.split(" ", 1) for ln in handle)]


def test_synthetic_capture_is_the_same_bytes_for_the_same_seed(tmp_path: Path) -> None:
    write_capture(tmp_path / "a.gz", MARKETS[0], messages=500, seed=3)
    write_capture(tmp_path / "b.gz", MARKETS[0], messages=500, seed=3)
    write_capture(tmp_path / "c.gz", MARKETS[0], messages=500, seed=4)
    assert (tmp_path / "a.gz").read_bytes() == (tmp_path / "b.gz").read_bytes()
    assert (tmp_path / "a.gz").read_bytes() != (tmp_path / "c.gz").read_bytes()


def test_synthetic_diffs_chain_their_update_ids_like_binance_futures(tmp_path: Path) -> None:
    (path, _) = generate(tmp_path, messages=1000)
    diffs = [m["data"] for _, m in messages(path) if "depth" in str(m.get("stream", ""))]
    for previous, current in itertools.pairwise(diffs):
        assert current["pu"] == previous["u"]  # type: ignore[index]


def test_synthetic_book_rebuilt_by_binance_rules_matches_every_book_ticker(
    tmp_path: Path,
) -> None:
    # Oracle: Binance's documented procedure in plain Python with Decimal.
    (path, _) = generate(tmp_path, messages=2000)
    lines = messages(path)
    (snapshot,) = [m for _, m in lines if "lastUpdateId" in m]
    last_id = snapshot["lastUpdateId"]
    bids = {Decimal(p): Decimal(q) for p, q in snapshot["bids"]}  # type: ignore[attr-defined]
    asks = {Decimal(p): Decimal(q) for p, q in snapshot["asks"]}  # type: ignore[attr-defined]
    synced, checked, previous_u = False, 0, None
    for _, message in lines:
        data = message.get("data")
        if not isinstance(data, dict):
            continue
        if data["e"] == "depthUpdate":
            if data["u"] < last_id:
                continue
            if not synced:
                assert data["U"] <= last_id <= data["u"]
                synced = True
            else:
                assert data["pu"] == previous_u
            previous_u = data["u"]
            for side, book in (("b", bids), ("a", asks)):
                for price, qty in data[side]:
                    if Decimal(qty) == 0:
                        book.pop(Decimal(price), None)
                    else:
                        book[Decimal(price)] = Decimal(qty)
            assert max(bids) < min(asks)
        elif data["e"] == "bookTicker" and synced and data["u"] == previous_u:
            assert (Decimal(data["b"]), Decimal(data["B"])) == (max(bids), bids[max(bids)])
            assert (Decimal(data["a"]), Decimal(data["A"])) == (min(asks), asks[min(asks)])
            checked += 1
    assert checked > 500


def test_steps_share_one_context_and_later_steps_can_be_added(tmp_path: Path) -> None:
    seen: list[str] = []

    def extra(context: DemoContext) -> None:
        seen.append(context.data_origin)

    context = DemoContext(quiet(), tmp_path / "catalog", synthetic=True)
    run_steps([STEPS[0], Step("extra", extra)], context)
    assert seen == ["synthetic (asked for)"]
    assert list(context.timings) == [STEPS[0].name, "extra"]


def test_missing_ferrox_data_falls_back_to_synthetic_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FERROX_DATA", str(tmp_path / "missing"))
    context = DemoContext(quiet(), tmp_path / "catalog")
    run_steps([STEPS[0]], context)
    assert context.data_origin.startswith("synthetic")
    assert context.data_dir == tmp_path / "demo-data"
    assert sorted(p.name for p in (tmp_path / "demo-data" / "binance-usdm").iterdir()) == [
        "btcusdt_20240808.gz",
        "ethusdt_20240808.gz",
    ]


def test_demo_refuses_to_replace_a_directory_that_is_not_a_catalog(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    target.mkdir()
    (target / "thesis.tex").write_text("...")
    with pytest.raises(ConfigError, match="not a ferrox catalog"):
        run_demo(catalog=target, synthetic=True, console=quiet())
    assert (target / "thesis.tex").exists()


def test_demo_imports_every_synthetic_trade_and_quote(tmp_path: Path) -> None:
    context = run_demo(catalog=tmp_path / "catalog", synthetic=True, console=quiet())
    catalog = Catalog(tmp_path / "catalog")
    for path in sorted((tmp_path / "demo-data" / "binance-usdm").iterdir()):
        data = [m["data"] for _, m in messages(path) if isinstance(m.get("data"), dict)]
        symbol = path.name.split("_")[0].upper()
        (inst,) = [i for i in catalog.instruments() if i.id.startswith(f"{symbol}.")]
        trades = catalog.read(inst.id, DataKind.TRADES)
        quotes = catalog.read(inst.id, DataKind.QUOTES)
        assert trades.height == sum(1 for d in data if d["e"] == "trade")
        assert quotes.height == sum(1 for d in data if d["e"] == "bookTicker")
    assert context.results["market_summary"].height == len(MARKETS)


@pytest.mark.slow
def test_demo_runs_end_to_end_on_the_shared_data(shared_data: Path, tmp_path: Path) -> None:
    output = io.StringIO()
    context = run_demo(
        catalog=tmp_path / "catalog", data=shared_data, console=Console(file=output, width=160)
    )
    summary = context.require_catalog().summary()
    binance = summary.filter(summary["instrument"].str.starts_with("BTCUSDT."))
    assert set(binance["kind"]) >= {"trades", "quotes", "deltas"}
    assert "real data" in output.getvalue()
    assert context.imports["binance"].rows > 300_000
    # The books step rebuilt every Binance book and it agreed with every
    # comparable bookTicker, even with the older depth CSV in the same catalog.
    books = context.results["books"]
    for venue_id in ("BTCUSDT.BINANCE", "BTCUSDT.BINANCE-USDM", "ETHUSDT.BINANCE-USDM"):
        checked, agreed = books[venue_id]
        assert checked > 100
        assert agreed == checked
    assert "Bars from trades" in output.getvalue()

"""Bad backtest configs fail before the run with a ConfigError naming the key, and
``ferrox backtest run`` turns them into one red line and exit code 1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ferrox._core import Bar
from ferrox.backtest import Strategy, load_config, parse_config, run_backtest
from ferrox.backtest.runner import build_backtest
from ferrox.cli import app
from ferrox.data.catalog import Catalog
from ferrox.data.importer import import_files
from ferrox.data.loaders.base import LoaderOptions
from ferrox.errors import ConfigError
from ferrox.model.schema import DataKind

INSTRUMENT = "SOL-PERP.SIM"
START = dt.datetime(2024, 3, 1)
OPTIONS = LoaderOptions(
    instrument=INSTRUMENT,
    kind=DataKind.BARS,
    ts_unit="iso",
    bar_label="open",
    bar_interval="1m",
    price_precision=2,
    size_precision=3,
)


class Started(Exception):
    """Raised when a strategy starts: a bad config must never get that far."""


class BuyOnce(Strategy):
    """Buys once (a good config's strategy)."""

    def __init__(self, quantity: str = "1") -> None:
        super().__init__()
        self.quantity = quantity

    def on_bar(self, bar: Bar) -> None:
        if self.position(INSTRUMENT) == 0 and not self.open_orders():
            self.buy(INSTRUMENT, self.quantity)


class MustNotStart(Strategy):
    """Fails the test if a run starts."""

    def on_start(self) -> None:
        raise Started


NotAStrategy = dict


def write_bars(path: Path, first: int, count: int) -> Path:
    """``count`` 1-minute bars starting ``first`` minutes after START, as a CSV."""
    lines = ["timestamp,open,high,low,close,volume"]
    for i in range(first, first + count):
        when = START + dt.timedelta(minutes=i)
        price = 100 + i % 7
        lines.append(
            f"{when:%Y-%m-%d %H:%M:%S},{price}.00,{price + 1}.00,{price - 1}.00,{price}.50,1.5"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    import_files([write_bars(tmp_path / "a.csv", 0, 120)], "csv", Catalog(root), options=OPTIONS)
    return root


@pytest.fixture(autouse=True)
def importable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lets configs name strategies in this file as ``test_backtest_config:Class``."""
    monkeypatch.syspath_prepend(str(Path(__file__).parent))


def doc(catalog: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    """A good config document; ``sections`` replace or extend its tables."""
    base: dict[str, Any] = {
        "strategy": {"path": "test_backtest_config:MustNotStart"},
        "data": {"catalog": str(catalog), "instruments": [INSTRUMENT], "kinds": ["bars"]},
        "venue": {"taker_fee": "0.0004", "maker_fee": "0.0002"},
    }
    for name, table in sections.items():
        base[name] = {**base.get(name, {}), **table}
    return base


def build(document: dict[str, Any]) -> None:
    build_backtest(parse_config(document))


def test_a_good_config_runs(catalog: Path) -> None:
    config = doc(catalog, strategy={"path": "test_backtest_config:BuyOnce"})
    result = run_backtest(parse_config(config))
    assert result.fills.height == 1


def test_a_missing_strategy_module_is_named(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[strategy\]\.path: cannot import 'no_such_mod'"):
        build(doc(catalog, strategy={"path": "no_such_mod:Thing"}))


def test_a_missing_strategy_class_is_named(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[strategy\]\.path: .*has no 'Nope'"):
        build(doc(catalog, strategy={"path": "test_backtest_config:Nope"}))


def test_a_class_that_is_not_a_strategy_is_refused(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[strategy\]\.path: .*not a ferrox.backtest.Strategy"):
        build(doc(catalog, strategy={"path": "test_backtest_config:NotAStrategy"}))


def test_a_path_without_a_colon_is_refused(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[strategy\]\.path: .*not 'module:Class'"):
        build(doc(catalog, strategy={"path": "test_backtest_config.MustNotStart"}))


def test_bad_strategy_params_are_named(catalog: Path) -> None:
    config = doc(catalog, strategy={"path": "test_backtest_config:BuyOnce", "params": {"x": 1}})
    with pytest.raises(ConfigError, match=r"\[strategy\.params\]"):
        build(config)


def test_an_instrument_not_in_the_catalog_lists_what_the_catalog_holds(catalog: Path) -> None:
    config = doc(catalog, data={"instruments": ["DOGE-PERP.SIM"]})
    with pytest.raises(ConfigError) as info:
        build(config)
    message = str(info.value)
    assert "[data].instruments" in message
    assert "DOGE-PERP.SIM" in message
    assert f"it holds: {INSTRUMENT}" in message


def test_a_folder_that_is_not_a_catalog_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[data\]\.catalog: .*not a ferrox catalog"):
        build(doc(tmp_path / "nothing"))


def test_a_negative_taker_fee_is_refused(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[venue\]\.taker_fee: -0\.001"):
        parse_config(doc(catalog, venue={"taker_fee": "-0.001"}))


def test_a_negative_maker_fee_is_a_rebate(catalog: Path) -> None:
    assert parse_config(doc(catalog, venue={"maker_fee": "-0.0001"})).venue.maker_fee == "-0.0001"


def test_a_fee_that_is_not_a_number_is_refused(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[venue\]\.maker_fee: 'cheap'"):
        parse_config(doc(catalog, venue={"maker_fee": "cheap"}))


def test_overlapping_sources_are_refused(catalog: Path, tmp_path: Path) -> None:
    overlap = write_bars(tmp_path / "b.csv", 60, 120)
    import_files([overlap], "csv", Catalog(catalog), options=OPTIONS)
    with pytest.raises(ConfigError, match=r"data overlap: SOL-PERP\.SIM bars from .* and from"):
        build(doc(catalog))


def test_the_same_file_imported_again_under_another_name_replaces_it(
    catalog: Path, tmp_path: Path
) -> None:
    """The catalog knows a source by its content, so forcing a copy in does not double the data."""
    copy = tmp_path / "copy.csv"
    copy.write_bytes((tmp_path / "a.csv").read_bytes())
    import_files([copy], "csv", Catalog(catalog), options=OPTIONS, force=True)
    config = doc(catalog, strategy={"path": "test_backtest_config:BuyOnce"})
    assert run_backtest(parse_config(config)).meta["records"] == 120


def test_adjacent_sources_are_not_an_overlap(catalog: Path, tmp_path: Path) -> None:
    import_files(
        [write_bars(tmp_path / "b.csv", 120, 60)], "csv", Catalog(catalog), options=OPTIONS
    )
    config = doc(catalog, strategy={"path": "test_backtest_config:BuyOnce"})
    assert run_backtest(parse_config(config)).meta["records"] == 180


@pytest.mark.parametrize(
    ("table", "key"),
    [("strategy", "module"), ("data", "instrument"), ("venue", "fee"), ("latency", "entry")],
)
def test_unknown_keys_are_named(catalog: Path, table: str, key: str) -> None:
    with pytest.raises(ConfigError, match=rf"\[{table}\]: unknown key\(s\) \['{key}'\]"):
        parse_config(doc(catalog, **{table: {key: 1}}))


@pytest.mark.parametrize("value", ["5 parsecs", "-3ms", "ms", "1.5.0s"])
def test_bad_durations_are_named(catalog: Path, value: str) -> None:
    with pytest.raises(ConfigError, match=r"\[latency\]\.order_entry"):
        parse_config(doc(catalog, latency={"order_entry": value}))


def test_a_negative_integer_duration_is_refused(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[latency\]\.ack: -5 ns is negative"):
        parse_config(doc(catalog, latency={"ack": -5}))


def test_a_bad_equity_interval_is_named(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[run\]\.equity_interval"):
        parse_config(doc(catalog, run={"equity_interval": "weekly"}))


def test_a_uniform_latency_with_high_below_low_is_refused(catalog: Path) -> None:
    latency = {"feed": {"model": "uniform", "low": "5ms", "high": "1ms"}}
    with pytest.raises(ConfigError, match=r"\[latency\]\.feed: high .* below low"):
        parse_config(doc(catalog, latency=latency))


def test_an_unknown_data_kind_is_named(catalog: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[data\]\.kinds: \['candles'\]"):
        parse_config(doc(catalog, data={"kinds": ["candles"]}))


def toml(document: dict[str, Any]) -> str:
    """Enough TOML for these documents (tables of strings, numbers, lists)."""

    def value(v: Any) -> str:
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return str(v)

    lines = []
    for name, table in document.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {value(v)}" for k, v in table.items())
    return "\n".join(lines) + "\n"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"strategy": {"path": "no_such_mod:Thing"}}, "[strategy].path"),
        ({"data": {"instruments": ["DOGE-PERP.SIM"]}}, "[data].instruments"),
        ({"venue": {"taker_fee": "-0.001"}}, "[venue].taker_fee"),
        ({"venue": {"rebate": "1"}}, "[venue]: unknown key"),
        ({"latency": {"ack": "soon"}}, "[latency].ack"),
    ],
)
def test_the_cli_prints_one_red_line_and_exits_1(
    runner: CliRunner,
    catalog: Path,
    tmp_path: Path,
    sections: dict[str, dict[str, Any]],
    expected: str,
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml(doc(catalog, **sections)))
    out = tmp_path / "results"
    args = ["backtest", "run", str(path), "--out", str(out)]
    result = runner.invoke(app, args, env={"FORCE_COLOR": "1", "NO_COLOR": None})
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert expected in lines[0]
    assert lines[0].startswith("\x1b[1;31merror:")  # bold red
    assert "Traceback" not in result.output
    assert not out.exists()


def test_the_cli_reports_overlapping_data_before_the_run(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    import_files(
        [write_bars(tmp_path / "b.csv", 60, 120)], "csv", Catalog(catalog), options=OPTIONS
    )
    path = tmp_path / "overlap.toml"
    path.write_text(toml(doc(catalog)))
    result = runner.invoke(app, ["backtest", "run", str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1
    assert "data overlap" in result.stderr
    assert not (tmp_path / "r").exists()


def test_the_cli_runs_a_good_config_into_a_results_folder(
    runner: CliRunner, catalog: Path, tmp_path: Path
) -> None:
    path = tmp_path / "good.toml"
    path.write_text(toml(doc(catalog, strategy={"path": "test_backtest_config:BuyOnce"})))
    result = runner.invoke(app, ["backtest", "run", str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert load_config(path).instruments == [INSTRUMENT]
    assert (tmp_path / "r" / "fills.parquet").is_file()


def test_a_risk_table_denies_an_order_beyond_its_limit(catalog: Path) -> None:
    config = doc(
        catalog,
        strategy={"path": "test_backtest_config:BuyOnce", "params": {"quantity": "10"}},
        risk={"max_order_notional": "500"},
    )
    result = run_backtest(parse_config(config))
    denied = result.orders.filter(result.orders["event"] == "DENIED")
    assert result.fills.height == 0
    assert denied["code"].to_list()[0] == "MAX_ORDER_NOTIONAL"
    assert "max_order_notional" in denied["message"].to_list()[0]


def test_a_bad_risk_key_fails_before_the_run(catalog: Path) -> None:
    with pytest.raises(ConfigError, match="max_order_notionl"):
        build(doc(catalog, risk={"max_order_notionl": "500"}))


def test_an_unknown_top_level_table_is_refused(catalog: Path) -> None:
    with pytest.raises(ConfigError, match="venues"):
        build(doc(catalog, venues={"x": 1}))


def test_a_compiled_strategy_with_an_unknown_setting_lists_its_settings(catalog: Path) -> None:
    config = doc(catalog)
    config["strategy"] = {"rust": "ema_cross", "params": {"quantity": 1000, "fats": 3}}
    with pytest.raises(ConfigError, match=r"unknown setting \"fats\".*fast"):
        build(config)


def test_an_unknown_compiled_strategy_lists_the_registry(catalog: Path) -> None:
    config = doc(catalog)
    config["strategy"] = {"rust": "ema", "params": {}}
    with pytest.raises(ConfigError, match="ema_cross, market_maker"):
        build(config)

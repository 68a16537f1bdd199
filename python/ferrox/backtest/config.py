"""Backtest configuration: one TOML file, checked completely before a run starts.

Example ``backtest.toml``::

    [strategy]
    path = "examples.ema_cross:EMACross"   # module:Class of a ferrox.backtest.Strategy
    # rust = "ema_cross"                   # or a built-in compiled strategy
    [strategy.params]
    instrument = "BTC-PERP.BINANCE"
    fast = 10
    slow = 30

    [data]
    catalog = "catalog"
    instruments = ["BTC-PERP.BINANCE"]
    kinds = ["bars"]                       # trades, quotes, deltas, bars
    start = "2022-01-01"                   # optional, UTC
    end = "2022-02-01"                     # optional, exclusive

    [venue]
    account_type = "margin"                # or "cash"
    oms = "netting"                        # or "hedging"
    base_currency = "USDT"
    starting_balance = "1000000"
    leverage = "1"
    maker_fee = "0.0002"
    taker_fee = "0.0004"
    queue_model = "conservative"           # or "probabilistic" (queue_power), "log"

    [latency]                              # "5ms", {model = "lognormal", median = "1ms", sigma = 0.5}
    feed = "0ns"
    order_entry = "0ns"
    ack = "0ns"

    [run]
    seed = 0
    equity_interval = "bar"                # or "1m", "1s", ...

    [risk]                                 # pre-trade controls (docs/risk.md)
    max_order_notional = 1000000
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ferrox.data.timeparse import DURATION_UNITS
from ferrox.errors import ConfigError
from ferrox.risk.pretrade import RiskConfig

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(" + "|".join(DURATION_UNITS) + r")\s*$")
_KINDS = {"trades", "quotes", "deltas", "bars"}


def parse_duration(text: str | int, where: str) -> int:
    """``"5ms"`` -> 5_000_000 ns; an int is taken as ns."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise ConfigError(f"{where}: {text} ns is negative")
        return text
    match = _DURATION.match(str(text))
    if match is None:
        raise ConfigError(f"{where}: {text!r} is not a duration like '5ms', '1s', '1m'")
    return int(Decimal(match.group(1)) * DURATION_UNITS[match.group(2)])


def _decimal(text: object, where: str, *, negative: bool = False) -> str:
    try:
        value = Decimal(str(text))
    except InvalidOperation:
        raise ConfigError(f"{where}: {text!r} is not a decimal number") from None
    if not value.is_finite() or (value < 0 and not negative):
        raise ConfigError(f"{where}: {text} must be a non-negative number")
    return str(text)


def _time(text: object, where: str) -> int | None:
    if text is None:
        return None
    from ferrox.data.timeparse import parse_time

    try:
        return parse_time(str(text))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class LatencyConfig:
    """One latency: ``model`` constant/uniform/lognormal with its parameters in ns."""

    model: str = "constant"
    value: int = 0
    high: int = 0
    sigma: float = 0.0

    def to_engine(self) -> tuple[str, int, float]:
        """The ``(model, a, b)`` triple ``BacktestEngine`` takes."""
        if self.model == "uniform":
            return ("uniform", self.value, float(self.high))
        if self.model == "lognormal":
            return ("lognormal", self.value, self.sigma)
        return ("constant", self.value, 0.0)

    @classmethod
    def parse(cls, raw: object, where: str) -> LatencyConfig:
        """From ``"5ms"`` or a table ``{model=..., ...}``."""
        if raw is None:
            return cls()
        if isinstance(raw, str | int):
            return cls("constant", parse_duration(raw, where))
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a duration or a table, got {raw!r}")
        model = raw.get("model", "constant")
        if model == "constant":
            return cls("constant", parse_duration(raw.get("value", 0), f"{where}.value"))
        if model == "uniform":
            low = parse_duration(raw.get("low", 0), f"{where}.low")
            high = parse_duration(raw.get("high", 0), f"{where}.high")
            if high < low:
                raise ConfigError(f"{where}: high {high} ns is below low {low} ns")
            return cls("uniform", low, high)
        if model == "lognormal":
            median = parse_duration(raw.get("median", 0), f"{where}.median")
            sigma = float(raw.get("sigma", 0.5))
            if median <= 0 or sigma < 0:
                raise ConfigError(f"{where}: lognormal needs median > 0 and sigma >= 0")
            return cls("lognormal", median, 0, sigma)
        raise ConfigError(f"{where}.model: {model!r} is not constant, uniform or lognormal")


@dataclass(frozen=True)
class VenueConfig:
    """Account and simulated-venue settings."""

    account_type: str = "margin"
    oms: str = "netting"
    base_currency: str = "USDT"
    starting_balance: str = "1000000"
    leverage: str = "1"
    maker_fee: str = "0"
    taker_fee: str = "0"
    queue_model: str = "conservative"
    queue_power: float = 2.0


@dataclass(frozen=True)
class BacktestConfig:
    """A whole backtest: strategy, data, venue, latency and run settings."""

    strategy_path: str | None
    rust_strategy: str | None
    strategy_params: dict[str, Any]
    catalog: str
    instruments: list[str]
    kinds: list[str]
    start: int | None = None
    end: int | None = None
    venue: VenueConfig = field(default_factory=VenueConfig)
    feed_latency: LatencyConfig = field(default_factory=LatencyConfig)
    order_entry_latency: LatencyConfig = field(default_factory=LatencyConfig)
    ack_latency: LatencyConfig = field(default_factory=LatencyConfig)
    seed: int = 0
    equity_interval: int = 0
    risk: RiskConfig | None = None
    source: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (recorded in the results' metadata)."""
        return asdict(self)


def _table(doc: dict[str, Any], name: str) -> dict[str, Any]:
    value = doc.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{name}] must be a table")
    return value


def _check_keys(table: dict[str, Any], name: str, allowed: set[str]) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(
            f"[{name}]: unknown key(s) {sorted(unknown)} (allowed: {sorted(allowed)})"
        )


def parse_config(doc: dict[str, Any], *, base_dir: Path | None = None) -> BacktestConfig:
    """Checks a parsed TOML document and builds a :class:`BacktestConfig`."""
    strategy = _table(doc, "strategy")
    data = _table(doc, "data")
    venue = _table(doc, "venue")
    latency = _table(doc, "latency")
    run = _table(doc, "run")
    risk = _table(doc, "risk")
    _check_keys(strategy, "strategy", {"path", "rust", "params"})
    _check_keys(data, "data", {"catalog", "instruments", "kinds", "start", "end"})
    _check_keys(venue, "venue", set(VenueConfig.__dataclass_fields__))
    _check_keys(latency, "latency", {"feed", "order_entry", "ack"})
    _check_keys(run, "run", {"seed", "equity_interval"})
    path, rust = strategy.get("path"), strategy.get("rust")
    if (path is None) == (rust is None):
        raise ConfigError("[strategy]: give exactly one of path = 'module:Class' or rust = 'name'")
    params = strategy.get("params", {})
    if not isinstance(params, dict):
        raise ConfigError("[strategy.params] must be a table")
    if "catalog" not in data:
        raise ConfigError("[data].catalog: missing (the catalog folder to read)")
    catalog = Path(str(data["catalog"]))
    if base_dir is not None and not catalog.is_absolute():
        catalog = base_dir / catalog
    instruments = data.get("instruments")
    if not isinstance(instruments, list) or not instruments:
        raise ConfigError("[data].instruments: a non-empty list of instrument ids is required")
    kinds = data.get("kinds", ["bars"])
    bad = [k for k in kinds if k not in _KINDS]
    if bad:
        raise ConfigError(f"[data].kinds: {bad} not in {sorted(_KINDS)}")
    for key in ("maker_fee", "taker_fee"):
        if key in venue:
            # A negative maker fee is a rebate; a negative taker fee is a mistake.
            value = _decimal(venue[key], f"[venue].{key}", negative=key == "maker_fee")
            venue = {**venue, key: value}
    for key in ("starting_balance", "leverage"):
        if key in venue:
            venue = {**venue, key: _decimal(venue[key], f"[venue].{key}")}
    if venue.get("account_type", "margin") not in ("cash", "margin"):
        raise ConfigError(f"[venue].account_type: {venue['account_type']!r} is not cash or margin")
    if venue.get("oms", "netting") not in ("netting", "hedging"):
        raise ConfigError(f"[venue].oms: {venue['oms']!r} is not netting or hedging")
    _check_keys(doc, "top level", {"strategy", "data", "venue", "latency", "run", "risk", "sweep"})
    interval = run.get("equity_interval", "bar")
    return BacktestConfig(
        strategy_path=path,
        rust_strategy=rust,
        strategy_params=dict(params),
        catalog=str(catalog),
        instruments=[str(i) for i in instruments],
        kinds=list(kinds),
        start=_time(data.get("start"), "[data].start"),
        end=_time(data.get("end"), "[data].end"),
        venue=VenueConfig(**venue),
        feed_latency=LatencyConfig.parse(latency.get("feed"), "[latency].feed"),
        order_entry_latency=LatencyConfig.parse(
            latency.get("order_entry"), "[latency].order_entry"
        ),
        ack_latency=LatencyConfig.parse(latency.get("ack"), "[latency].ack"),
        seed=int(run.get("seed", 0)),
        risk=RiskConfig.from_dict(risk) if risk else None,
        equity_interval=0
        if interval == "bar"
        else parse_duration(interval, "[run].equity_interval"),
        source=doc,
    )


def load_config(path: str | Path) -> BacktestConfig:
    """Reads and checks a backtest TOML file."""
    path = Path(path)
    try:
        # Decimals, not floats: limits and fees are exact.
        doc = tomllib.loads(path.read_text(), parse_float=Decimal)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_config(doc, base_dir=path.parent)


def import_strategy_class(path: str) -> type[Any]:
    """``"package.module:Class"`` -> the class, with a clear error when it is not there."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"[strategy].path: {path!r} is not 'module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"[strategy].path: cannot import {module_name!r}: {exc}") from None
    try:
        cls = getattr(module, attr)
    except AttributeError:
        raise ConfigError(f"[strategy].path: {module_name!r} has no {attr!r}") from None
    from ferrox.backtest.strategy import Strategy

    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise ConfigError(f"[strategy].path: {path} is not a ferrox.backtest.Strategy subclass")
    return cls

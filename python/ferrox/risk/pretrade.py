"""Pre-trade risk controls: the typed configuration of the engine's risk checks.

Every order a strategy sends passes the Rust risk engine before it can reach a
venue; a denial is an order event (``DENIED``) with a stable reason code and a
message with the numbers. Limits are set per scope — the account, a strategy
(by index) and an instrument (by id) — and an order must pass all three.

From TOML (a ``[risk]`` table: top-level keys are account limits)::

    [risk]
    max_order_notional = "1000000"
    max_orders_per_second = 50

    [risk.instrument."BTC-PERP.BINANCE"]
    tick_size = "0.1"
    price_band_pct = "5"

From Python, and into an engine:

>>> from ferrox.risk.pretrade import RiskConfig, RiskLimits, risk_config_to_engine
>>> config = RiskConfig(
...     account=RiskLimits(max_order_notional="1000000"),
...     instruments={"BTC-PERP.BINANCE": RiskLimits(max_position_quantity="5")},
... )
>>> risk_config_to_engine(config, ["BTC-PERP.BINANCE"])
[('account', 'max_order_notional', '1000000'), ('instrument:0', 'max_position_quantity', '5')]

The list is what ``ferrox._core.BacktestEngine(..., risk=...)`` takes.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from ferrox.errors import ConfigError

__all__ = [
    "REASON_CODES",
    "RiskConfig",
    "RiskLimits",
    "load_risk_config",
    "risk_config_to_engine",
]

Number = Decimal | int | str
"""An exact decimal: a ``Decimal``, an ``int`` or decimal text (never a float)."""

REASON_CODES: tuple[str, ...] = (
    "TRADING_HALTED",
    "TRADING_REDUCING",
    "MAX_ORDER_QUANTITY",
    "MIN_ORDER_QUANTITY",
    "MAX_ORDER_NOTIONAL",
    "MIN_ORDER_NOTIONAL",
    "TICK_SIZE",
    "LOT_SIZE",
    "PRICE_COLLAR",
    "FAT_FINGER",
    "NO_REFERENCE_PRICE",
    "MAX_LONG_QUANTITY",
    "MAX_SHORT_QUANTITY",
    "MAX_LONG_NOTIONAL",
    "MAX_SHORT_NOTIONAL",
    "MAX_GROSS_EXPOSURE",
    "MAX_NET_EXPOSURE",
    "BUYING_POWER",
    "ORDER_RATE",
    "CANCEL_RATE",
    "ORDER_TO_TRADE_RATIO",
    "DUPLICATE_ORDER",
    "SELF_TRADE",
    "RISK_ERROR",
)
"""Every denial reason code the engine can give (stable across versions)."""


@dataclass(frozen=True)
class RiskLimits:
    """The limits of one scope; ``None`` (or ``False``) switches a control off.

    Quantities are instrument units, money is the account's base currency,
    percentages are percent (``"5"`` = 5 %). See ``docs/risk.md`` for what each
    control checks and its reason code.
    """

    max_order_quantity: Number | None = None
    min_order_quantity: Number | None = None
    max_order_notional: Number | None = None
    min_order_notional: Number | None = None
    tick_size: Number | None = None
    lot_size: Number | None = None
    price_band_pct: Number | None = None
    price_band_ticks: int | None = None
    price_reference: Literal["last", "mid", "reference"] | None = None
    reference_price: Number | None = None
    fat_finger_pct: Number | None = None
    fat_finger_ticks: int | None = None
    max_position_quantity: Number | None = None
    max_long_quantity: Number | None = None
    max_short_quantity: Number | None = None
    max_position_notional: Number | None = None
    max_long_notional: Number | None = None
    max_short_notional: Number | None = None
    max_gross_exposure: Number | None = None
    max_net_exposure: Number | None = None
    check_buying_power: bool = False
    max_orders_per_second: int | None = None
    max_cancels_per_second: int | None = None
    max_order_to_trade_ratio: Number | None = None
    order_to_trade_min_orders: int | None = None
    duplicate_window_ms: int | None = None
    self_trade_prevention: bool = False
    state: Literal["active", "reducing", "halted"] | None = None
    max_daily_loss: Number | None = None
    reduce_at_daily_loss: Number | None = None
    max_drawdown: Number | None = None
    reduce_at_drawdown: Number | None = None

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], *, where: str = "risk") -> RiskLimits:
        """Limits from a TOML table / dict; unknown keys are a ``ConfigError``."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(doc) - known)
        if unknown:
            raise ConfigError(
                f"{where}: unknown risk key(s) {', '.join(unknown)}; "
                f"expected some of {', '.join(sorted(known))}"
            )
        limits = cls(**dict(doc))
        limits.settings(where)  # validates every value's type now
        return limits

    def settings(self, where: str = "risk") -> list[tuple[str, str]]:
        """The set limits as ``(key, exact text)`` pairs, in field order."""
        out: list[tuple[str, str]] = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None or value is False:
                continue
            out.append((f.name, _text(value, f"{where}.{f.name}")))
        return out


def _text(value: object, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        raise ConfigError(f"{where} = {value!r}: a float is not exact; give a string or Decimal")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ConfigError(f"{where} = {value}: expected a finite decimal")
        return format(value, "f")
    if isinstance(value, int | str):
        return str(value)
    raise ConfigError(f"{where} = {value!r}: expected a decimal, integer, string or boolean")


@dataclass(frozen=True)
class RiskConfig:
    """Risk limits of the account, of strategies (by index) and of instruments (by id)."""

    account: RiskLimits = field(default_factory=RiskLimits)
    strategies: Mapping[int, RiskLimits] = field(default_factory=dict)
    instruments: Mapping[str, RiskLimits] = field(default_factory=dict)
    max_audit_records: int | None = None

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RiskConfig:
        """A config from a ``[risk]`` table: top-level keys (or ``account``) are
        account limits; ``strategy.<index>`` and ``instrument."<id>"`` sub-tables."""
        doc = dict(doc)
        strategies_doc = doc.pop("strategy", {})
        instruments_doc = doc.pop("instrument", {})
        account_doc = dict(doc.pop("account", {}))
        max_audit = doc.pop("max_audit_records", None)
        account_doc.update(doc)
        strategies: dict[int, RiskLimits] = {}
        for key, table in dict(strategies_doc).items():
            try:
                index = int(key)
            except ValueError:
                raise ConfigError(
                    f"risk.strategy.{key}: strategies are keyed by index (0 for the first)"
                ) from None
            strategies[index] = RiskLimits.from_dict(table, where=f"risk.strategy.{key}")
        instruments = {
            str(key): RiskLimits.from_dict(table, where=f"risk.instrument.{key}")
            for key, table in dict(instruments_doc).items()
        }
        if max_audit is not None and (not isinstance(max_audit, int) or max_audit < 0):
            raise ConfigError(f"risk.max_audit_records = {max_audit!r}: expected an integer >= 0")
        return cls(
            account=RiskLimits.from_dict(account_doc, where="risk"),
            strategies=strategies,
            instruments=instruments,
            max_audit_records=max_audit,
        )

    @classmethod
    def from_toml(cls, text: str) -> RiskConfig:
        """A config from TOML text with a ``[risk]`` table (numbers read exactly)."""
        try:
            doc = tomllib.loads(text, parse_float=Decimal)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"risk config: {exc}") from None
        return cls.from_dict(doc.get("risk", {}))


def load_risk_config(path: str | Path) -> RiskConfig:
    """Reads the ``[risk]`` table of a TOML file."""
    path = Path(path)
    try:
        return RiskConfig.from_toml(path.read_text())
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def risk_config_to_engine(
    config: RiskConfig, instruments: Sequence[str]
) -> list[tuple[str, str, str]]:
    """Flattens ``config`` into the ``(scope, key, value)`` settings that
    ``ferrox._core.BacktestEngine(..., risk=...)`` takes; ``instruments`` are
    the engine's instrument ids in index order."""
    index = {inst: i for i, inst in enumerate(instruments)}
    out = [("account", k, v) for k, v in config.account.settings("risk")]
    for s, limits in sorted(config.strategies.items()):
        out += [(f"strategy:{s}", k, v) for k, v in limits.settings(f"risk.strategy.{s}")]
    for inst, limits in config.instruments.items():
        if inst not in index:
            raise ConfigError(
                f"risk.instrument.{inst}: not an instrument of this backtest "
                f"({', '.join(instruments) or 'none'})"
            )
        where = f"risk.instrument.{inst}"
        out += [(f"instrument:{index[inst]}", k, v) for k, v in limits.settings(where)]
    if config.max_audit_records is not None:
        out.append(("audit", "max_records", str(config.max_audit_records)))
    return out

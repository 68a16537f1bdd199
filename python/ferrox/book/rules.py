"""Which synchronisation rule a venue's diff stream follows."""

from __future__ import annotations

from ferrox._core import InstrumentId
from ferrox.errors import ConfigError

#: The sync rules the engine knows, as accepted by ``rule=`` arguments.
RULES = ("binance-futures", "binance-spot", "sequenced")

_VENUE_RULES = {
    "BINANCE": "binance-spot",
    "BINANCE-USDM": "binance-futures",
    "BINANCE-COINM": "binance-futures",
}


def sync_rule_for(instrument_id: str) -> str:
    """The rule for an instrument's venue: Binance spot or futures id chains,
    else ``sequenced`` (apply in order, flag crossed books).

    >>> sync_rule_for("BTCUSDT.BINANCE-USDM")
    'binance-futures'
    >>> sync_rule_for("ESH4.GLBX")
    'sequenced'
    """
    return _VENUE_RULES.get(InstrumentId(instrument_id).venue, "sequenced")


def check_rule(rule: str) -> str:
    """Returns ``rule`` if the engine knows it, else raises ConfigError listing the rules."""
    if rule not in RULES:
        raise ConfigError(f"rule: unknown sync rule {rule!r}; expected one of {list(RULES)}")
    return rule

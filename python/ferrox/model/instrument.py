"""Instrument definitions as the Python side and the catalog see them."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ferrox._core import InstrumentId, Price, Quantity
from ferrox.errors import DataError


class InstrumentKind(StrEnum):
    """Contract kind."""

    SPOT = "spot"
    PERPETUAL = "perpetual"
    FUTURE = "future"
    OPTION = "option"


@dataclass(frozen=True)
class Instrument:
    """A tradable instrument: id, increments (which fix the precisions), currencies.

    ``price_increment`` and ``size_increment`` are decimal strings such as
    ``"0.10"`` and ``"0.001"``; the number of decimals they are written with is
    the precision of every raw price and size stored for the instrument.

    >>> inst = Instrument("BTCUSDT.BINANCE-USDM", InstrumentKind.PERPETUAL, "0.10", "0.001",
    ...                   "BTC", "USDT", "USDT")
    >>> inst.price_precision, inst.size_precision
    (2, 3)
    """

    id: str
    kind: InstrumentKind
    price_increment: str
    size_increment: str
    base_currency: str
    quote_currency: str
    settlement_currency: str
    multiplier: str = "1"
    is_inverse: bool = False
    #: Whether the increments were read from a definition (True) or inferred
    #: from how the venue formats its numbers (False).
    defined: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        InstrumentId(self.id)  # validates SYMBOL.VENUE
        for name in ("price_increment", "size_increment", "multiplier"):
            value = getattr(self, name)
            try:
                if Decimal(value) <= 0:
                    raise DataError(f"instrument {self.id}: {name} {value!r} must be positive")
            except ArithmeticError as exc:
                raise DataError(f"instrument {self.id}: {name} {value!r} is not a decimal") from exc

    @property
    def instrument_id(self) -> InstrumentId:
        """The id as an :class:`InstrumentId`."""
        return InstrumentId(self.id)

    @property
    def price_precision(self) -> int:
        """Decimals of raw prices."""
        return _decimals(self.price_increment)

    @property
    def size_precision(self) -> int:
        """Decimals of raw sizes."""
        return _decimals(self.size_increment)

    def price(self, raw: int) -> Price:
        """A raw price of this instrument as a :class:`Price`."""
        return Price.from_raw(raw, self.price_precision)

    def quantity(self, raw: int) -> Quantity:
        """A raw size of this instrument as a :class:`Quantity`."""
        return Quantity.from_raw(raw, self.size_precision)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the catalog's instrument record)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instrument:
        """Reads :meth:`to_dict`'s output back."""
        fields = dict(data)
        fields["kind"] = InstrumentKind(fields["kind"])
        return cls(**fields)

    def to_json(self) -> str:
        """JSON text of :meth:`to_dict`."""
        return json.dumps(self.to_dict(), sort_keys=True)


def _decimals(text: str) -> int:
    _, _, frac = text.partition(".")
    return len(frac)


def increment_for(precision: int) -> str:
    """The smallest increment written at ``precision`` decimals (``2`` -> ``"0.01"``)."""
    if precision <= 0:
        return "1"
    return "0." + "0" * (precision - 1) + "1"

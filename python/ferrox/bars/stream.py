"""Streaming bar aggregators: one trade (or quote) at a time, bars out as they close.

Each class wraps the Rust state machine that :func:`ferrox.bars.aggregate`
runs over whole columns, so feeding the same trades one by one gives the same
bars. Trades must come in time order (a DataError otherwise).

>>> bars = TimeBars("1s", precisions=(2, 3))
>>> bars.update(0, 10000, 5, 1)
[]
>>> bars.update(500_000_000, 10100, 5, 2)
[]
>>> [bar] = bars.update(1_000_000_000, 9900, 1, 1)
>>> bar.open, bar.high, bar.close, bar.volume, bar.buy_volume, bar.vwap
(10000, 10100, 10100, 10, 5, 100.5)
>>> bars.flush().close
9900
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

from ferrox._core import BarAggregator as _CoreAggregator
from ferrox.bars._inputs import SOURCES, Source, check_choice, resolve_precisions
from ferrox.bars.spec import parse_spec
from ferrox.errors import ConfigError
from ferrox.model.instrument import Instrument

if TYPE_CHECKING:
    from ferrox._core import _BarTuple

Measure = Literal["tick", "volume", "value"]
_MEASURES = ("tick", "volume", "value")


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: exact raw prices and volumes; float value and VWAP (None when unknown).

    Fields as in :data:`ferrox.bars.BAR_SCHEMA`; ``ts_first``/``ts_last`` are
    None for an empty time bar.
    """

    ts_open: int
    ts_close: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    value: float | None
    vwap: float | None
    trade_count: int
    buy_volume: int
    sell_volume: int
    ts_first: int | None
    ts_last: int | None


def _bar(raw: _BarTuple, known_precisions: bool) -> Bar:
    (
        (ts_open, ts_close, ts_first, ts_last),
        (o, h, low, c),
        (vol, buy, sell, count),
        (
            value,
            vwap,
        ),
    ) = raw
    empty = count == 0
    return Bar(
        ts_open=ts_open,
        ts_close=ts_close,
        open=o,
        high=h,
        low=low,
        close=c,
        volume=vol,
        value=value if known_precisions else None,
        vwap=None if vwap != vwap or not known_precisions else vwap,  # NaN: no volume
        trade_count=count,
        buy_volume=buy,
        sell_volume=sell,
        ts_first=None if empty else ts_first,
        ts_last=None if empty else ts_last,
    )


class BarAggregator:
    """Bars of any spec (see :mod:`ferrox.bars.spec`), fed one trade or quote at a time.

    ``source="trades"`` takes :meth:`update`; ``"bid"``, ``"ask"`` and
    ``"mid"`` take :meth:`update_quote`. ``instrument`` or ``precisions``
    give the raw values' precisions (needed by volume and value specs, and
    for ``value``/``vwap``).
    """

    def __init__(
        self,
        spec: str,
        *,
        instrument: Instrument | None = None,
        precisions: tuple[int, int] | None = None,
        source: Source = "trades",
        empty_bars: bool = False,
    ) -> None:
        check_choice("source", source, SOURCES)
        resolved = resolve_precisions(instrument, precisions)
        price, size = resolved if resolved else (None, None)
        self._known = resolved is not None
        self._core = _CoreAggregator(spec, source, price, size, empty_bars)

    @property
    def spec(self) -> str:
        """The canonical spec."""
        return self._core.spec

    @property
    def source(self) -> str:
        """``trades``, ``bid``, ``ask`` or ``mid``."""
        return self._core.source

    def update(self, ts: int, price: int, size: int, aggressor_side: int = 0) -> list[Bar]:
        """Adds one trade (raw price and size; side 0 unknown, 1 buyer, 2 seller).

        Returns the bars it closed, oldest first: usually none, one, or with
        empty time bars several.
        """
        return [_bar(b, self._known) for b in self._core.update(ts, price, size, aggressor_side)]

    def update_quote(
        self, ts: int, bid_price: int, ask_price: int, bid_size: int, ask_size: int
    ) -> list[Bar]:
        """Adds one quote (raw values); returns the bars it closed."""
        raw = self._core.update_quote(ts, bid_price, ask_price, bid_size, ask_size)
        return [_bar(b, self._known) for b in raw]

    def flush(self) -> Bar | None:
        """Ends the stream: the open, partial bar, or None when it holds no trade."""
        raw = self._core.flush()
        return None if raw is None else _bar(raw, self._known)


def _checked(spec: str, kind: str, name: str) -> str:
    parsed = parse_spec(spec)
    if not parsed.kind.endswith(kind):
        raise ConfigError(f"{name}: {spec!r} is a {parsed.kind} spec, not {kind}")
    return spec


def _decimal_text(value: str | int | Decimal, name: str) -> str:
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise ConfigError(f"{name}: {value!r} is not a decimal number") from None
    if not number.is_finite() or number <= 0:
        raise ConfigError(f"{name}: expected a positive decimal, got {value!r}")
    return format(number, "f")


class TimeBars(BarAggregator):
    """Time bars of ``interval`` (``1m``, ``250ms``, ...), aligned to the UTC epoch."""

    def __init__(
        self,
        interval: str = "1m",
        *,
        instrument: Instrument | None = None,
        precisions: tuple[int, int] | None = None,
        source: Source = "trades",
        empty_bars: bool = False,
    ) -> None:
        spec = parse_spec(interval)
        if not spec.is_time:
            raise ConfigError(f"interval: {interval!r} is a {spec.kind} spec, not a time interval")
        super().__init__(
            interval,
            instrument=instrument,
            precisions=precisions,
            source=source,
            empty_bars=empty_bars,
        )


class TickBars(BarAggregator):
    """A bar every ``ticks`` trades."""

    def __init__(
        self,
        ticks: int,
        *,
        instrument: Instrument | None = None,
        precisions: tuple[int, int] | None = None,
        source: Source = "trades",
    ) -> None:
        if isinstance(ticks, bool) or not isinstance(ticks, int) or ticks < 1:
            raise ConfigError(f"ticks: expected a whole number of trades >= 1, got {ticks!r}")
        super().__init__(
            f"{ticks}-tick", instrument=instrument, precisions=precisions, source=source
        )


class VolumeBars(BarAggregator):
    """A bar when the volume reaches ``volume`` (a decimal in base units, converted exactly)."""

    def __init__(
        self,
        volume: str | int | Decimal,
        *,
        instrument: Instrument | None = None,
        precisions: tuple[int, int] | None = None,
        source: Source = "trades",
    ) -> None:
        spec = f"{_decimal_text(volume, 'volume')}-volume"
        super().__init__(spec, instrument=instrument, precisions=precisions, source=source)


class ValueBars(BarAggregator):
    """A bar when Σ price * size reaches ``value`` (a decimal in quote units, converted exactly)."""

    def __init__(
        self,
        value: str | int | Decimal,
        *,
        instrument: Instrument | None = None,
        precisions: tuple[int, int] | None = None,
        source: Source = "trades",
    ) -> None:
        spec = f"{_decimal_text(value, 'value')}-value"
        super().__init__(spec, instrument=instrument, precisions=precisions, source=source)


def _info_spec(measure: str, kind: str, params: dict[str, float | None]) -> str:
    check_choice("measure", measure, _MEASURES)
    # repr() keeps a float's shortest exact text (0.1, not its binary expansion).
    given = [f"{k}={_decimal_text(repr(v), k)}" for k, v in params.items() if v is not None]
    return f"{measure}-{kind}" + (":" + ",".join(given) if given else "")


class ImbalanceBars(BarAggregator):
    """Tick, volume or value imbalance bars (López de Prado 2.3.2); see ``docs/bars.md``.

    ``expected`` is E0[T] before the first bar (warm-up), ``span`` the EWMA
    span in bars of E0[T], ``window`` the EWMA span in trades of E0[b·v],
    ``min``/``max`` bounds kept on E0[T]. Unset parameters take the spec
    defaults.
    """

    def __init__(
        self,
        measure: Measure = "tick",
        *,
        expected: float | None = None,
        span: float | None = None,
        window: float | None = None,
        min: float | None = None,
        max: float | None = None,
        instrument: Instrument | None = None,
        precisions: tuple[int, int] | None = None,
        source: Source = "trades",
    ) -> None:
        params = {"expected": expected, "span": span, "window": window, "min": min, "max": max}
        spec = _info_spec(measure, "imbalance", params)
        super().__init__(spec, instrument=instrument, precisions=precisions, source=source)


class RunBars(BarAggregator):
    """Tick, volume or value run bars (López de Prado 2.3.2.3); parameters as for imbalance bars."""

    def __init__(
        self,
        measure: Measure = "tick",
        *,
        expected: float | None = None,
        span: float | None = None,
        window: float | None = None,
        min: float | None = None,
        max: float | None = None,
        instrument: Instrument | None = None,
        precisions: tuple[int, int] | None = None,
        source: Source = "trades",
    ) -> None:
        params = {"expected": expected, "span": span, "window": window, "min": min, "max": max}
        spec = _info_spec(measure, "run", params)
        super().__init__(spec, instrument=instrument, precisions=precisions, source=source)


__all__ = [
    "Bar",
    "BarAggregator",
    "ImbalanceBars",
    "RunBars",
    "TickBars",
    "TimeBars",
    "ValueBars",
    "VolumeBars",
]

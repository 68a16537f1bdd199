"""The Python strategy API.

Subclass :class:`Strategy` and override the callbacks you need; the engine
calls only those, so a bar strategy never pays for book deltas crossing into
Python. Instruments are named by id (``"BTCUSDT.BINANCE"``); quantities and
prices are exact (``str``, ``Decimal``, ``int``; a ``float`` is taken at its
shortest repr) and refused when finer than the instrument's increment.

Example (a strategy that buys once and holds)::

    from ferrox.backtest import Strategy

    class BuyAndHold(Strategy):
        def __init__(self, instrument: str, quantity: str = "1") -> None:
            super().__init__()
            self.instrument = instrument
            self.quantity = quantity

        def on_bar(self, bar) -> None:
            if self.position(self.instrument) == 0 and not self.open_orders():
                self.buy(self.instrument, self.quantity)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, NamedTuple

from ferrox.errors import ConfigError

if TYPE_CHECKING:
    from ferrox._core import Bar, EngineContext, Fill, OrderEvent, Quote, Trade
    from ferrox.model.instrument import Instrument

Number = str | int | float | Decimal


@dataclass(frozen=True)
class _InstrumentRef:
    index: int
    id: str
    price_precision: int
    size_precision: int
    lot_size: int = 1


@dataclass(frozen=True)
class OrderSpec:
    """One order of an OCO group or an OTO (fields as in :meth:`Strategy.submit_order`)."""

    instrument: str
    side: str
    quantity: Number
    order_type: str = "MARKET"
    price: Number | None = None
    trigger_price: Number | None = None
    time_in_force: str = "GTC"
    expire_ts: int | None = None
    post_only: bool = False
    reduce_only: bool = False
    trailing_offset: Number | None = None
    trailing_offset_type: str = "PRICE"
    limit_offset: Number | None = None


class BracketIds(NamedTuple):
    """Client order ids of a bracket's three orders."""

    entry: int
    take_profit: int
    stop_loss: int


class TwapState(NamedTuple):
    """Progress of a TWAP: exact quantities, whether any slice is left, its child orders."""

    filled: Decimal
    remaining: Decimal
    done: bool
    child_ids: list[int]


def _to_raw(value: Number, precision: int, what: str) -> int:
    """Exact decimal -> raw integer at ``precision``; refuses anything finer."""
    try:
        dec = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ConfigError(f"{what}: {value!r} is not a decimal number") from None
    scaled = dec.scaleb(precision)
    if scaled != scaled.to_integral_value():
        raise ConfigError(
            f"{what}: {value} has more than {precision} decimal places (the instrument's increment)"
        )
    return int(scaled)


@functools.cache
def _indicator_specs() -> dict[str, dict[str, Any]]:
    from ferrox import _core

    return {s["name"]: s for s in _core.ta_specs()}


def _indicator_spec(name: str) -> dict[str, Any]:
    try:
        return _indicator_specs()[name.upper()]
    except KeyError:
        raise ConfigError(f"unknown indicator {name!r} (see ferrox.ta)") from None


class Indicator:
    """An indicator the engine updates on every bar of its instrument, before ``on_bar``."""

    def __init__(self, strategy: Strategy, handle: int, name: str, n_outputs: int) -> None:
        self._strategy = strategy
        self._handle = handle
        self.name = name
        self.n_outputs = n_outputs

    @property
    def value(self) -> float:
        """The first output's current value (NaN during warm-up)."""
        return self._strategy._context().indicator_value(self._handle, 0)

    def output(self, index: int) -> float:
        """Output ``index``'s current value (e.g. MACD's signal line is 1)."""
        return self._strategy._context().indicator_value(self._handle, index)

    @property
    def ready(self) -> bool:
        """Whether the warm-up is over."""
        return self._strategy._context().indicator_ready(self._handle)


class Strategy:
    """Base class of Python strategies: callbacks to override, and the engine API.

    Callbacks: :meth:`on_start`, :meth:`on_stop`, :meth:`on_trade`,
    :meth:`on_quote`, :meth:`on_book`, :meth:`on_bar`, :meth:`on_timer`,
    :meth:`on_order` (every order event), :meth:`on_fill`, :meth:`on_position`.
    The engine API (orders, books, portfolio, indicators, timers) is usable
    inside callbacks.
    """

    def __init__(self) -> None:
        self._ctx: EngineContext | None = None
        self._refs: dict[str, _InstrumentRef] = {}
        self._ids: list[str] = []
        self._twaps: dict[int, _InstrumentRef] = {}

    # ---- wiring (called by the runner and the engine) -------------------

    def _attach(self, instruments: list[Instrument]) -> None:
        self._refs = {}
        self._ids = []
        for index, inst in enumerate(instruments):
            lot = _to_raw(inst.size_increment, inst.size_precision, "size_increment")
            self._refs[inst.id] = _InstrumentRef(
                index, inst.id, inst.price_precision, inst.size_precision, max(lot, 1)
            )
            self._ids.append(inst.id)

    def _bind(self, ctx: EngineContext) -> None:
        self._ctx = ctx

    def _context(self) -> EngineContext:
        if self._ctx is None:
            raise ConfigError("the strategy is not running in an engine")
        return self._ctx

    def _ref(self, instrument: str) -> _InstrumentRef:
        try:
            return self._refs[instrument]
        except KeyError:
            known = ", ".join(self._refs) or "none"
            raise ConfigError(
                f"instrument {instrument!r} is not in this backtest (instruments: {known})"
            ) from None

    def instrument_id(self, index: int) -> str:
        """The id of the instrument at ``index`` (as in events' ``instrument``)."""
        return self._ids[index]

    # ---- callbacks --------------------------------------------------------

    def on_start(self) -> None:
        """Before the first event: subscribe to bars, create indicators."""

    def on_stop(self) -> None:
        """After the last event."""

    def on_trade(self, trade: Trade) -> None:
        """A trade print."""

    def on_quote(self, quote: Quote) -> None:
        """A best bid/offer update."""

    def on_book(self, instrument: int) -> None:
        """The book of instrument index ``instrument`` changed (consistent state)."""

    def on_bar(self, bar: Bar) -> None:
        """A bar closed."""

    def on_timer(self, timer_id: int) -> None:
        """A timer set with :meth:`set_timer` fired."""

    def on_order(self, event: OrderEvent) -> None:
        """Any event of one of this strategy's orders (accepted, denied, filled, ...)."""

    def on_fill(self, fill: Fill) -> None:
        """One of this strategy's orders (partly) filled."""

    def on_position(self, instrument: int) -> None:
        """The position in instrument index ``instrument`` changed."""

    # ---- time and data ------------------------------------------------------

    def now(self) -> int:
        """Engine time, ns since the epoch (UTC)."""
        return self._context().now()

    def set_timer(self, at: int) -> int:
        """Calls :meth:`on_timer` at ``at`` (ns); returns the timer id."""
        return self._context().set_timer(at)

    def subscribe_bars(self, instrument: str, spec: str = "1m") -> None:
        """Builds bars of ``spec`` (``1m``, ``100t``, ``volume:10``...) from the instrument's trades."""
        self._context().add_bar_builder(self._ref(instrument).index, spec)

    def indicator(
        self, name: str, instrument: str, *, inputs: list[str] | None = None, **params: float
    ) -> Indicator:
        """An indicator by its TA-Lib name and parameters, updated on every bar of ``instrument``.

        ``inputs`` picks bar fields (``open``/``high``/``low``/``close``/``volume``);
        by default the indicator's TA-Lib inputs.
        """
        spec = _indicator_spec(name)
        names = [p["name"] for p in spec["params"]]
        unknown = set(params) - set(names)
        if unknown:
            raise ConfigError(
                f"indicator {name}: unknown parameter(s) {sorted(unknown)} (takes {names})"
            )
        values = [float(params.get(p["name"], p["default"])) for p in spec["params"]]
        n_outputs = len(spec["outputs"])
        handle = self._context().add_indicator(self._ref(instrument).index, name, values, inputs)
        return Indicator(self, handle, name, n_outputs)

    def best_bid(self, instrument: str) -> tuple[Decimal, Decimal] | None:
        """Best bid ``(price, size)`` of the instrument's book."""
        ref = self._ref(instrument)
        level = self._context().best_bid(ref.index)
        return None if level is None else self._level(ref, level)

    def best_ask(self, instrument: str) -> tuple[Decimal, Decimal] | None:
        """Best ask ``(price, size)``."""
        ref = self._ref(instrument)
        level = self._context().best_ask(ref.index)
        return None if level is None else self._level(ref, level)

    def mid(self, instrument: str) -> float | None:
        """Mid price."""
        ref = self._ref(instrument)
        raw = self._context().mid(ref.index)
        return None if raw is None else raw / 10**ref.price_precision

    def microprice(self, instrument: str) -> float | None:
        """Size-weighted mid (the microprice)."""
        ref = self._ref(instrument)
        raw = self._context().microprice(ref.index)
        return None if raw is None else raw / 10**ref.price_precision

    @staticmethod
    def _level(ref: _InstrumentRef, level: tuple[int, int]) -> tuple[Decimal, Decimal]:
        return (
            Decimal(level[0]).scaleb(-ref.price_precision),
            Decimal(level[1]).scaleb(-ref.size_precision),
        )

    # ---- portfolio ----------------------------------------------------------

    def position(self, instrument: str) -> Decimal:
        """Net position (positive long, negative short), exact."""
        ref = self._ref(instrument)
        return Decimal(self._context().net_quantity(ref.index)).scaleb(-ref.size_precision)

    def equity(self) -> float:
        """Account value in the base currency."""
        return self._context().equity()

    def cash(self) -> float:
        """Cash balance in the base currency."""
        return self._context().cash()

    def pnl(self, instrument: str) -> tuple[float, float]:
        """``(realized, unrealized)`` PnL of the instrument's position, quote currency."""
        return self._context().pnl(self._ref(instrument).index)

    # ---- orders -------------------------------------------------------------

    def submit_order(
        self,
        instrument: str,
        side: str,
        quantity: Number,
        *,
        order_type: str = "MARKET",
        price: Number | None = None,
        trigger_price: Number | None = None,
        time_in_force: str = "GTC",
        expire_ts: int | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
        trailing_offset: Number | None = None,
        trailing_offset_type: str = "PRICE",
        limit_offset: Number | None = None,
    ) -> int:
        """Sends an order; returns its client order id. Denials arrive in :meth:`on_order`."""
        raw = self._raw_spec(
            OrderSpec(
                instrument,
                side,
                quantity,
                order_type,
                price,
                trigger_price,
                time_in_force,
                expire_ts,
                post_only,
                reduce_only,
                trailing_offset,
                trailing_offset_type,
                limit_offset,
            )
        )
        return self._context().submit(**raw)

    def _raw_spec(self, spec: OrderSpec) -> dict[str, Any]:
        """The engine's spec of ``spec``: raw integers at the instrument's precisions."""
        ref = self._ref(spec.instrument)
        p = ref.price_precision

        def raw_price(v: Number | None, what: str) -> int | None:
            return None if v is None else _to_raw(v, p, what)

        offset: int | None
        if spec.trailing_offset is None:
            offset = None
        elif spec.trailing_offset_type.upper() == "PRICE":
            offset = _to_raw(spec.trailing_offset, p, "trailing_offset")
        else:
            offset = _to_raw(spec.trailing_offset, 0, "trailing_offset (basis points)")
        return {
            "instrument": ref.index,
            "side": spec.side.upper(),
            "quantity": _to_raw(spec.quantity, ref.size_precision, "quantity"),
            "order_type": spec.order_type.upper(),
            "price": raw_price(spec.price, "price"),
            "trigger_price": raw_price(spec.trigger_price, "trigger_price"),
            "time_in_force": spec.time_in_force.upper(),
            "expire_ts": spec.expire_ts,
            "post_only": spec.post_only,
            "reduce_only": spec.reduce_only,
            "trailing_offset": offset,
            "trailing_offset_type": spec.trailing_offset_type.upper(),
            "limit_offset": raw_price(spec.limit_offset, "limit_offset"),
        }

    def submit_bracket(
        self,
        instrument: str,
        side: str,
        quantity: Number,
        take_profit: Number,
        stop_loss: Number,
        *,
        entry_price: Number | None = None,
        stop_limit: Number | None = None,
        time_in_force: str = "GTC",
    ) -> BracketIds:
        """An entry (market, or limit at ``entry_price``) with a take-profit limit and a
        stop-loss stop (stop-limit at ``stop_limit`` if given) on the other side.

        The exits are held until the entry fills, released for what filled, and cancel
        each other; an entry that ends unfilled (cancelled, denied, ...) cancels them.
        Raises :class:`ConfigError` when the prices are on the wrong sides.
        """
        ref = self._ref(instrument)
        entry = self._raw_spec(
            OrderSpec(
                instrument,
                side,
                quantity,
                "MARKET" if entry_price is None else "LIMIT",
                entry_price,
                time_in_force=time_in_force,
            )
        )
        p = ref.price_precision
        entry_id, tp, sl = self._context().submit_bracket(
            entry,
            _to_raw(take_profit, p, "take_profit"),
            _to_raw(stop_loss, p, "stop_loss"),
            None if stop_limit is None else _to_raw(stop_limit, p, "stop_limit"),
        )
        return BracketIds(entry_id, tp, sl)

    def submit_oco(self, orders: list[OrderSpec]) -> list[int]:
        """Sends two or more orders as one-cancels-other: a fill of one lowers the others by
        that quantity, and one that fills completely or ends cancels the others."""
        return self._context().submit_oco([self._raw_spec(o) for o in orders])

    def submit_oto(self, parent: OrderSpec, children: list[OrderSpec]) -> tuple[int, list[int]]:
        """Sends ``parent``; ``children`` are held until it fills, then released for what
        filled. Returns ``(parent_id, child_ids)``."""
        return self._context().submit_oto(
            self._raw_spec(parent), [self._raw_spec(c) for c in children]
        )

    def twap(
        self,
        instrument: str,
        side: str,
        quantity: Number,
        duration_ns: int | None = None,
        *,
        end: int | None = None,
        slices: int | None = None,
        interval_ns: int | None = None,
        limit_offset: Number | None = None,
        time_in_force: str = "GTC",
        reduce_only: bool = False,
    ) -> int:
        """Works ``quantity`` from now over ``duration_ns`` (or until ``end``) in ``slices``
        evenly spaced child orders (or one every ``interval_ns``); returns the TWAP id.

        Slices are whole lots that add up exactly to ``quantity``. Children are market
        orders, or limit orders ``limit_offset`` through the far touch (the last close
        without a book) when it is given. Children are ordinary orders: their events
        reach :meth:`on_order` and :meth:`on_fill`.
        """
        if (duration_ns is None) == (end is None):
            raise ConfigError("twap: give exactly one of duration_ns and end")
        if (slices is None) == (interval_ns is None):
            raise ConfigError("twap: give exactly one of slices and interval_ns")
        ref = self._ref(instrument)
        ctx = self._context()
        stop = end if end is not None else ctx.now() + (duration_ns or 0)
        twap_id = ctx.start_twap(
            ref.index,
            side.upper(),
            _to_raw(quantity, ref.size_precision, "quantity"),
            stop,
            slices,
            interval_ns,
            ref.lot_size,
            None
            if limit_offset is None
            else _to_raw(limit_offset, ref.price_precision, "limit_offset"),
            time_in_force.upper(),
            reduce_only,
        )
        self._twaps[twap_id] = ref
        return twap_id

    def cancel_twap(self, twap_id: int) -> None:
        """Stops a TWAP: no further slices, its working children cancelled."""
        self._context().cancel_twap(twap_id)

    def twap_state(self, twap_id: int) -> TwapState:
        """Progress of a TWAP."""
        filled, remaining, done, children = self._context().twap_state(twap_id)
        ref = self._twaps.get(twap_id)
        scale = 0 if ref is None else ref.size_precision
        return TwapState(
            Decimal(filled).scaleb(-scale), Decimal(remaining).scaleb(-scale), done, children
        )

    def buy(self, instrument: str, quantity: Number, price: Number | None = None, **kw: Any) -> int:
        """A buy: market without ``price``, limit with it. Returns the client order id."""
        kw.setdefault("order_type", "MARKET" if price is None else "LIMIT")
        return self.submit_order(instrument, "BUY", quantity, price=price, **kw)

    def sell(
        self, instrument: str, quantity: Number, price: Number | None = None, **kw: Any
    ) -> int:
        """A sell: market without ``price``, limit with it. Returns the client order id."""
        kw.setdefault("order_type", "MARKET" if price is None else "LIMIT")
        return self.submit_order(instrument, "SELL", quantity, price=price, **kw)

    def cancel(self, order_id: int) -> None:
        """Asks the venue to cancel an order."""
        self._context().cancel(order_id)

    def cancel_all(self, instrument: str | None = None) -> None:
        """Cancels every open order (of one instrument, or all)."""
        self._context().cancel_all(None if instrument is None else self._ref(instrument).index)

    def modify(
        self,
        order_id: int,
        instrument: str,
        *,
        quantity: Number | None = None,
        price: Number | None = None,
        trigger_price: Number | None = None,
    ) -> None:
        """Asks the venue to change an order's quantity and/or prices."""
        ref = self._ref(instrument)
        self._context().modify(
            order_id,
            None if quantity is None else _to_raw(quantity, ref.size_precision, "quantity"),
            None if price is None else _to_raw(price, ref.price_precision, "price"),
            None
            if trigger_price is None
            else _to_raw(trigger_price, ref.price_precision, "trigger_price"),
        )

    def open_orders(self, instrument: str | None = None) -> list[int]:
        """Ids of open orders, oldest first."""
        return self._context().open_orders(
            None if instrument is None else self._ref(instrument).index
        )

    def order_status(self, order_id: int) -> str:
        """Status name of an order (``ACCEPTED``, ``FILLED``, ...)."""
        return self._context().order_status(order_id)

    # ---- risk ---------------------------------------------------------------

    def _scope(self, scope: str) -> str:
        """``instrument:BTCUSDT.BINANCE`` -> the engine's ``instrument:0``."""
        kind, sep, name = scope.partition(":")
        if kind == "instrument" and sep and not name.isdigit():
            return f"instrument:{self._ref(name).index}"
        return scope

    def kill_switch(self, scope: str = "all", *, who: str, why: str) -> int:
        """Cancels every working order of ``scope`` (``all``, ``account``,
        ``strategy:N``, ``instrument:ID``) and halts trading there; recorded in
        the risk audit with who and why. Returns the number of orders cancelled."""
        return self._context().kill_switch(self._scope(scope), who, why)

    def risk_state(self, scope: str = "account") -> str:
        """Trading state of a risk scope: ``ACTIVE``, ``REDUCING`` or ``HALTED``."""
        return self._context().risk_state(self._scope(scope))

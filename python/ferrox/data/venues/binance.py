"""Built-in definitions of the Binance instruments in the shared captures.

Increments are those Binance listed on 2024-08-08 (``PRICE_FILTER.tickSize``
and ``LOT_SIZE.stepSize``), checked against every price and size in the
captures, with one correction the data forces: spot depth levels far from the
touch hold sizes finer than today's step (``25.426189`` BTC at 200000.00,
``2292.22972`` ETH at 5000.00), resting orders placed when the steps were
0.000001 BTC and 0.00001 ETH. A definition must hold every value exactly, so
the spot size increments are those older, finer steps; the current order step
is kept in ``extra["lot_size"]``.

>>> instrument("BTCUSDT.BINANCE-USDM").price_increment
'0.10'
>>> infer("SOLUSDT.BINANCE", 8, 8).base_currency
'SOL'
"""

from __future__ import annotations

from ferrox.model.instrument import Instrument, InstrumentKind, increment_for

SPOT = "BINANCE"
USDM = "BINANCE-USDM"
COINM = "BINANCE-COINM"

#: Quote assets, longest first so ``FDUSD`` wins over ``USD``.
QUOTE_ASSETS = (
    "FDUSD",
    "USDT",
    "USDC",
    "TUSD",
    "BUSD",
    "DAI",
    "BTC",
    "ETH",
    "BNB",
    "EUR",
    "TRY",
    "BRL",
    "JPY",
    "USD",
)

INSTRUMENTS: dict[str, Instrument] = {
    inst.id: inst
    for inst in (
        Instrument(
            f"BTCUSDT.{SPOT}",
            InstrumentKind.SPOT,
            "0.01",
            "0.000001",
            "BTC",
            "USDT",
            "USDT",
            extra={"lot_size": "0.00001"},
        ),
        Instrument(
            f"ETHUSDT.{SPOT}",
            InstrumentKind.SPOT,
            "0.01",
            "0.00001",
            "ETH",
            "USDT",
            "USDT",
            extra={"lot_size": "0.0001"},
        ),
        Instrument(
            f"BTCUSDT.{USDM}", InstrumentKind.PERPETUAL, "0.10", "0.001", "BTC", "USDT", "USDT"
        ),
        Instrument(
            f"ETHUSDT.{USDM}", InstrumentKind.PERPETUAL, "0.01", "0.001", "ETH", "USDT", "USDT"
        ),
        # Coin-margined: one contract is worth 100 USD, margin and PnL are in BTC.
        Instrument(
            f"BTCUSD_PERP.{COINM}",
            InstrumentKind.PERPETUAL,
            "0.1",
            "1",
            "BTC",
            "USD",
            "BTC",
            multiplier="100",
            is_inverse=True,
        ),
    )
}


def instrument(instrument_id: str) -> Instrument | None:
    """The built-in definition of ``instrument_id``, or ``None``."""
    return INSTRUMENTS.get(instrument_id)


def infer(instrument_id: str, price_precision: int, size_precision: int) -> Instrument:
    """A definition for an instrument seen only in data (``defined=False``).

    The increments are one unit at the precisions Binance writes the symbol's
    numbers with; kind and currencies are read off the symbol (``BTCUSDT``:
    BTC quoted in USDT; ``ETHUSD_PERP``: an inverse perpetual settled in ETH,
    10 USD a contract, 100 for BTC, as Binance specifies).
    """
    symbol, _, venue = instrument_id.rpartition(".")
    pair, _, expiry = symbol.partition("_")
    base, quote = _split_pair(pair)
    if venue == SPOT:
        kind = InstrumentKind.SPOT
    else:
        kind = InstrumentKind.FUTURE if expiry and expiry != "PERP" else InstrumentKind.PERPETUAL
    inverse = venue == COINM
    return Instrument(
        instrument_id,
        kind,
        increment_for(price_precision),
        increment_for(size_precision),
        base,
        quote,
        base if inverse else quote,
        multiplier=("100" if base == "BTC" else "10") if inverse else "1",
        is_inverse=inverse,
        defined=False,
    )


def _split_pair(pair: str) -> tuple[str, str]:
    for quote in QUOTE_ASSETS:
        if pair.endswith(quote) and len(pair) > len(quote):
            return pair[: -len(quote)], quote
    return pair, ""

"""Exact fixed-point values against decimal.Decimal (hypothesis)."""

from __future__ import annotations

from decimal import Context, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ferrox import DataError, FerroxError, InstrumentId, Money, Price, Quantity
from ferrox._core import format_fixed, parse_fixed

I64_MIN, I64_MAX = -(2**63), 2**63 - 1
precisions = st.integers(min_value=0, max_value=16)
# Wide enough that the oracle itself never rounds.
EXACT = Context(prec=80)


def test_price_parses_binance_text_exactly() -> None:
    p = Price("61800.30")
    assert (p.raw, p.precision, str(p)) == (6180030, 2, "61800.30")
    assert Price("61837.63000000", 2).raw == 6183763


def test_price_refuses_binary_floats() -> None:
    with pytest.raises(DataError, match="float"):
        Price(0.1)  # type: ignore[arg-type]


def test_finer_than_precision_is_a_data_error_that_is_also_a_value_error() -> None:
    with pytest.raises(DataError, match=r"43613\.875"):
        Price("43613.875", 2)
    with pytest.raises(ValueError, match="finer"):
        Price("1.005", 2)
    assert issubclass(DataError, FerroxError)


def test_quantity_is_never_negative() -> None:
    with pytest.raises(DataError, match="negative"):
        Quantity("-1")
    with pytest.raises(DataError):
        Quantity("1") - Quantity("2")


def test_money_notional_is_exact_and_refuses_mixed_currencies() -> None:
    m = Money.notional(Price("61800.30"), Quantity("0.006"), "USDT", 5)
    assert m.as_decimal() == Decimal("370.80180")
    with pytest.raises(DataError, match="conversion"):
        Money("1", "USD") + Money("1", "EUR")


def test_instrument_id_splits_symbol_and_venue() -> None:
    iid = InstrumentId("BTCUSD_PERP.BINANCE-COINM")
    assert (iid.symbol, iid.venue, str(iid)) == (
        "BTCUSD_PERP",
        "BINANCE-COINM",
        "BTCUSD_PERP.BINANCE-COINM",
    )
    with pytest.raises(DataError, match=r"SYMBOL\.VENUE"):
        InstrumentId("BTCUSDT")


@given(raw=st.integers(I64_MIN, I64_MAX), precision=precisions)
def test_format_then_parse_round_trips(raw: int, precision: int) -> None:
    text = format_fixed(raw, precision)
    assert parse_fixed(text, precision) == raw
    assert Decimal(text) == Decimal(raw).scaleb(-precision)


@given(value=st.decimals(allow_nan=False, allow_infinity=False, places=6), precision=precisions)
def test_parse_matches_decimal(value: Decimal, precision: int) -> None:
    exact = EXACT.scaleb(value, precision)
    text = format(value, "f")
    if exact != exact.to_integral_value():
        with pytest.raises(DataError):
            parse_fixed(text, precision)
    elif not I64_MIN <= int(exact) <= I64_MAX:
        with pytest.raises(DataError, match="overflow"):
            parse_fixed(text, precision)
    else:
        assert parse_fixed(text, precision) == int(exact)


@given(
    a=st.integers(-(10**15), 10**15),
    b=st.integers(-(10**15), 10**15),
    pa_=st.integers(0, 6),
    pb=st.integers(0, 6),
)
def test_addition_and_subtraction_match_decimal(a: int, b: int, pa_: int, pb: int) -> None:
    x, y = Price.from_raw(a, pa_), Price.from_raw(b, pb)
    dx, dy = x.as_decimal(), y.as_decimal()
    try:
        s = x + y
    except DataError:
        assert abs((dx + dy).scaleb(max(pa_, pb))) > I64_MAX
    else:
        assert s.as_decimal() == dx + dy
        assert s.precision == max(pa_, pb)
    try:
        d = x - y
    except DataError:
        assert abs((dx - dy).scaleb(max(pa_, pb))) > I64_MAX
    else:
        assert d.as_decimal() == dx - dy
    assert (x < y) == (dx < dy)
    assert (x == y) == (dx == dy)
    if x == y:
        assert hash(x) == hash(y)


def test_overflow_raises_instead_of_wrapping() -> None:
    big = Price.from_raw(I64_MAX, 0)
    with pytest.raises(DataError, match="overflow"):
        big + Price("1")
    with pytest.raises(DataError, match="overflow"):
        Price("92233720368547758.08", 2)

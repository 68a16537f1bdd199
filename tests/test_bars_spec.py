"""Bar spec strings: what parses, its canonical form, and errors that point at the problem."""

from __future__ import annotations

import pytest

from ferrox.bars import parse_spec
from ferrox.errors import ConfigError, FerroxError

SECOND = 1_000_000_000


@pytest.mark.parametrize(
    ("spec", "interval"),
    [
        ("1m", 60 * SECOND),
        ("250ms", SECOND // 4),
        ("5s", 5 * SECOND),
        ("1h", 3600 * SECOND),
        ("1d", 86400 * SECOND),
        ("100us", 100_000),
        ("10ns", 10),
    ],
)
def test_time_specs_give_their_interval_in_nanoseconds(spec: str, interval: int) -> None:
    parsed = parse_spec(spec)
    assert (parsed.kind, parsed.interval_ns, parsed.is_time) == ("time", interval, True)


@pytest.mark.parametrize(
    ("spec", "kind", "canonical"),
    [
        ("1000-tick", "tick", "1000-tick"),
        ("50-volume", "volume", "50-volume"),
        ("0.500-volume", "volume", "0.5-volume"),
        ("1000000-value", "value", "1000000-value"),
        ("60s", "time", "1m"),
        (
            "tick-imbalance",
            "tick-imbalance",
            "tick-imbalance:expected=1000,span=10,window=10000,min=1",
        ),
        ("volume-imbalance", "volume-imbalance", None),
        ("value-imbalance", "value-imbalance", None),
        ("tick-run", "tick-run", None),
        ("volume-run", "volume-run", None),
        (
            "value-run:expected=50,max=200",
            "value-run",
            "value-run:expected=50,span=10,window=500,min=1,max=200",
        ),
        (
            "tick-imbalance:expected=100,span=20",
            "tick-imbalance",
            "tick-imbalance:expected=100,span=20,window=2000,min=1",
        ),
    ],
)
def test_specs_parse_to_their_kind_and_canonical_text(
    spec: str, kind: str, canonical: str | None
) -> None:
    parsed = parse_spec(spec)
    assert parsed.kind == kind
    assert not parsed.is_time or kind == "time"
    if canonical is not None:
        assert parsed.text == canonical
    assert parse_spec(parsed.text) == parsed


@pytest.mark.parametrize(
    ("spec", "position", "expected"),
    [
        ("5x", 2, "time unit"),
        ("", 1, "a number"),
        ("1000-ticks", 6, "'tick', 'volume' or 'value'"),
        ("1000-bars", 6, "'tick', 'volume' or 'value'"),
        ("tick-imbalanse", 6, "'imbalance' or 'run'"),
        ("dollar-run", 1, "'tick', 'volume', 'value'"),
        ("tick-run:span=", 15, 'a number for "span"'),
        ("tick-run:spam=3", 10, "a parameter name"),
        ("tick-run:span=3,span=4", 17, "given twice"),
        ("tick-run;span=3", 9, "':' and parameters"),
        ("1.5s", 1, "whole number"),
        ("0m", 1, "greater than zero"),
        ("2.5-tick", 1, "whole number of trades"),
        ("1m ", 3, "the end of the spec"),
        (" 1m", 1, "a number"),
        ("tick-run:expected=0.5", 19, "at least 1"),
    ],
)
def test_a_bad_spec_is_a_config_error_naming_spec_position_and_expectation(
    spec: str, position: int, expected: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_spec(spec)
    message = str(info.value)
    assert message.startswith(f'bar spec "{spec}": at position {position}: '), message
    assert expected in message


def test_spec_errors_are_ferrox_errors_and_value_errors() -> None:
    with pytest.raises(FerroxError):
        parse_spec("1x")
    with pytest.raises(ValueError, match="position 2"):
        parse_spec("1x")


def test_parameters_must_be_consistent() -> None:
    with pytest.raises(ConfigError, match="within min 10 and max"):
        parse_spec("tick-run:min=10,expected=5")
    with pytest.raises(ConfigError, match="max must be at least min"):
        parse_spec("tick-run:min=10,max=5,expected=7")

"""Bar spec strings: ``1m``, ``1000-tick``, ``50-volume``, ``tick-imbalance:expected=100``.

The grammar, parsed in the Rust core (``crates/ferrox-engine/src/bars/spec.rs``)::

    spec       := time | threshold | info
    time       := INTEGER UNIT                  1m  250ms  5s  1h  1d  100us  10ns
    UNIT       := ns | us | ms | s | m | h | d
    threshold  := DECIMAL "-" MEASURE           1000-tick  50-volume  1000000-value
    info       := MEASURE "-" (imbalance | run) [":" NAME "=" DECIMAL ("," NAME "=" DECIMAL)*]
    MEASURE    := tick | volume | value
    NAME       := expected | span | window | min | max

A spec that does not parse raises :class:`~ferrox.errors.ConfigError` naming
the spec, the 1-based position and what was expected there.
"""

from __future__ import annotations

from dataclasses import dataclass

from ferrox._core import parse_bar_spec

#: The kinds a spec can name.
KINDS = (
    "time",
    "tick",
    "volume",
    "value",
    "tick-imbalance",
    "volume-imbalance",
    "value-imbalance",
    "tick-run",
    "volume-run",
    "value-run",
)


@dataclass(frozen=True)
class BarSpec:
    """A parsed bar spec: its kind, its canonical text and, for time bars, the interval."""

    kind: str
    text: str
    interval_ns: int | None

    @property
    def is_time(self) -> bool:
        """Whether these are time bars."""
        return self.interval_ns is not None

    def __str__(self) -> str:
        return self.text


def parse_spec(spec: str) -> BarSpec:
    """Parses a bar spec, raising ConfigError naming the position and what was expected.

    >>> parse_spec("60s")
    BarSpec(kind='time', text='1m', interval_ns=60000000000)
    >>> parse_spec("tick-imbalance:expected=100,span=20").text
    'tick-imbalance:expected=100,span=20,window=2000,min=1'
    >>> parse_spec("5x")
    Traceback (most recent call last):
    ...
    ferrox.errors.ConfigError: bar spec "5x": at position 2: found 'x', expected a time unit (ns, us, ms, s, m, h, d) or '-tick', '-volume', '-value'
    """
    kind, text, interval = parse_bar_spec(spec)
    return BarSpec(kind, text, interval)


__all__ = ["KINDS", "BarSpec", "parse_spec"]

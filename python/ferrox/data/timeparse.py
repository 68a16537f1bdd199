"""Instants as users type them, read into the one clock (int64 ns since the epoch, UTC).

``parse_time`` accepts integer nanoseconds, a date (``2024-08-08``, midnight UTC)
or ISO 8601 with up to nine fractional digits and an optional zone
(``2024-08-08T00:00:00Z``, ``2024-08-08 12:30:00.123456789+02:00``); a time
without a zone is UTC. Fractions are read as text, so nanoseconds survive
(Python's ``datetime`` keeps only microseconds).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from ferrox.errors import ConfigError

NANOS_PER_SECOND = 1_000_000_000
NANOS_PER_DAY = 86_400 * NANOS_PER_SECOND

#: Nanoseconds in one of each duration unit users write (``5ms``, ``1m``, ``4h``).
DURATION_UNITS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "ms": 1_000_000,
    "s": NANOS_PER_SECOND,
    "m": 60 * NANOS_PER_SECOND,
    "min": 60 * NANOS_PER_SECOND,
    "h": 3_600 * NANOS_PER_SECOND,
    "d": NANOS_PER_DAY,
    "w": 7 * NANOS_PER_DAY,
}

_ISO = re.compile(
    r"""
    (?P<date>\d{4}-\d{2}-\d{2})
    (?:[T\ ]
        (?P<hour>\d{2}):(?P<minute>\d{2})
        (?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,9}))?)?
        (?P<zone>Z|[+-]\d{2}(?::?\d{2})?)?
    )?
    """,
    re.VERBOSE,
)


def parse_time(text: str) -> int:
    """Reads an instant typed by a user as int64 nanoseconds since the epoch, UTC.

    Raises :class:`~ferrox.errors.ConfigError` saying what was expected.

    >>> parse_time("2024-08-08")
    1723075200000000000
    >>> parse_time("2024-08-08T00:00:00.000000001Z")
    1723075200000000001
    >>> parse_time("2024-08-08T02:00:00+02:00")
    1723075200000000000
    >>> parse_time("1723075200000000000")
    1723075200000000000
    """
    value = text.strip()
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    match = _ISO.fullmatch(value)
    if match is None:
        raise ConfigError(
            f"time {text!r}: expected integer nanoseconds, a date (2024-08-08) "
            "or ISO 8601 (2024-08-08T00:00:00Z)"
        )
    try:
        day = datetime.strptime(match["date"], "%Y-%m-%d").replace(tzinfo=UTC)
        stamp = day.replace(
            hour=int(match["hour"] or 0),
            minute=int(match["minute"] or 0),
            second=int(match["second"] or 0),
        )
    except ValueError as exc:
        raise ConfigError(f"time {text!r}: {exc}") from None
    offset = _zone_offset(match["zone"], text)
    seconds = int((stamp - offset - _EPOCH).total_seconds())
    fraction = (match["fraction"] or "").ljust(9, "0")
    return seconds * NANOS_PER_SECOND + int(fraction)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _zone_offset(zone: str | None, text: str) -> timedelta:
    if zone is None or zone == "Z":
        return timedelta(0)
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ConfigError(f"time {text!r}: zone offset {zone!r} is out of range")
    return sign * timedelta(hours=hours, minutes=minutes)


def format_time(ns: int) -> str:
    """ISO 8601 UTC text of an instant, with all nine fractional digits.

    >>> format_time(1723075200000000001)
    '2024-08-08T00:00:00.000000001Z'
    """
    seconds, nanos = divmod(ns, NANOS_PER_SECOND)
    stamp = _EPOCH + timedelta(seconds=seconds)
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{nanos:09d}Z"


def utc_day(ns: int) -> str:
    """The UTC calendar day (``YYYY-MM-DD``) an instant falls on.

    >>> utc_day(1723161255030314667)
    '2024-08-08'
    """
    return f"{_EPOCH + timedelta(days=ns // NANOS_PER_DAY):%Y-%m-%d}"


__all__ = ["NANOS_PER_DAY", "NANOS_PER_SECOND", "format_time", "parse_time", "utc_day"]

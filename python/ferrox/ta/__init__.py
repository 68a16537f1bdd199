"""``ferrox.ta``: a TA-Lib-compatible indicator library in Rust.

Same function names, parameters, defaults, warm-up NaNs and outputs as
``talib``'s function API, so switching is an import change::

    import ferrox.ta as talib            # instead of: import talib
    rsi = talib.RSI(close, timeperiod=14)
    macd, signal, hist = talib.MACD(close)

Inputs may be numpy arrays (any real dtype), lists, pandas or polars Series;
results come back in the container of the first input (numpy for numpy and
lists). The batch kernels release the GIL. Two more forms of every indicator:

- :mod:`ferrox.ta.stream`: objects updated one bar at a time, bit for bit equal
  to the batch form (``ferrox.ta.stream.RSI(14).update(x)``);
- :mod:`ferrox.ta.polars`: polars expressions (``ferrox.ta.polars.RSI("close")``),
  usable in ``with_columns`` and per group with ``over``.

Bad input raises :class:`ferrox.errors.DataError` (unusable arrays, lengths
that differ) or :class:`ferrox.errors.ConfigError` (a parameter out of TA-Lib's
range), both of which are ``ValueError``. See docs/indicators.md.
"""

from __future__ import annotations

from ferrox import _core
from ferrox.ta import polars, stream
from ferrox.ta._api import MA_Type, example_bars
from ferrox.ta.functions import *  # noqa: F403 - the indicator functions
from ferrox.ta.functions import __all__ as _function_names


def get_functions() -> list[str]:
    """Names of every indicator function, as ``talib.get_functions()``.

    >>> "RSI" in get_functions()
    True
    """
    return [s["name"] for s in _core.ta_specs()]


def get_function_groups() -> dict[str, list[str]]:
    """Indicator names by family (overlap, momentum, volatility, volume, statistic, extra).

    >>> get_function_groups()["volume"]
    ['OBV', 'AD', 'ADOSC']
    """
    groups: dict[str, list[str]] = {}
    for s in _core.ta_specs():
        groups.setdefault(s["group"], []).append(s["name"])
    return groups


__all__ = [
    *_function_names,
    "MA_Type",
    "example_bars",
    "get_function_groups",
    "get_functions",
    "polars",
    "stream",
]

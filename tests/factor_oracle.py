"""A plain pandas Alpha158, written from Qlib 0.9.7's published operator code.

Each Qlib operator is reproduced as Qlib writes it (``qlib/data/ops.py``):
pandas ``rolling(N, min_periods=1)`` for Mean/Std/Sum/Max/Min/Quantile/Rank/
Corr, ``rolling.apply`` with ``argmax() + 1`` for IdxMax/IdxMin, numpy
comparisons (NaN compares false), ``np.maximum``/``np.minimum`` for
Greater/Less, and the 2e-5 std guard of Rsquare and Corr. Slope, Rsquare and
Resi are Qlib Cython kernels; here they are least squares of each window's
non-NaN values against their row positions, solved directly per window.

Series are aligned to the panel's calendar between each instrument's first
and last row (missing days are NaN rows), as Qlib's data layer does.
Shared by the tests and ``benchmarks/bench_factors.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

WINDOWS = (5, 10, 20, 30, 60)


def _guard(values: pd.Series, series: pd.Series, n: int) -> pd.Series:
    std = series.rolling(n, min_periods=1).std()
    out = values.copy()
    out[np.isclose(std, 0, atol=2e-05)] = np.nan
    return out


def _fit(window: np.ndarray) -> tuple[float, float, float, float]:
    """Slope, intercept, R², count of a window's non-NaN points against positions 1..L."""
    pos = np.arange(1, len(window) + 1, dtype=np.float64)
    ok = ~np.isnan(window)
    x, y = pos[ok], window[ok]
    if len(y) < 2:
        return np.nan, np.nan, np.nan, float(len(y))
    xm, ym = x.mean(), y.mean()
    sxx = ((x - xm) ** 2).sum()
    sxy = ((x - xm) * (y - ym)).sum()
    syy = ((y - ym) ** 2).sum()
    slope = sxy / sxx
    r2 = sxy * sxy / (sxx * syy) if syy > 0 else np.nan
    return slope, ym - slope * xm, r2, float(len(y))


def slope(s: pd.Series, n: int) -> pd.Series:
    """Qlib ``Slope``."""
    return s.rolling(n, min_periods=1).apply(lambda w: _fit(w)[0], raw=True)


def rsquare(s: pd.Series, n: int) -> pd.Series:
    """Qlib ``Rsquare`` (NaN where the window's std is within 2e-5 of zero)."""
    return _guard(s.rolling(n, min_periods=1).apply(lambda w: _fit(w)[2], raw=True), s, n)


def resi(s: pd.Series, n: int) -> pd.Series:
    """Qlib ``Resi``: the latest value minus the window's fitted line at its position."""

    def last(w: np.ndarray) -> float:
        b, a, _, _ = _fit(w)
        return w[-1] - (b * len(w) + a)

    return s.rolling(n, min_periods=1).apply(last, raw=True)


def corr(a: pd.Series, b: pd.Series, n: int) -> pd.Series:
    """Qlib ``Corr``: pandas rolling corr, NaN where either side's std is within 2e-5 of 0."""
    res = a.rolling(n, min_periods=1).corr(b)
    sa = a.rolling(n, min_periods=1).std()
    sb = b.rolling(n, min_periods=1).std()
    res[np.isclose(sa, 0, atol=2e-05) | np.isclose(sb, 0, atol=2e-05)] = np.nan
    return res


def idxmax(s: pd.Series, n: int) -> pd.Series:
    """Qlib ``IdxMax``."""
    return s.rolling(n, min_periods=1).apply(lambda x: x.argmax() + 1, raw=True)


def idxmin(s: pd.Series, n: int) -> pd.Series:
    """Qlib ``IdxMin``."""
    return s.rolling(n, min_periods=1).apply(lambda x: x.argmin() + 1, raw=True)


def _features(df: pd.DataFrame, only: Callable[[str], bool] | None) -> dict[str, pd.Series]:
    o, h, lo, c, v, vw = (df[k] for k in ("open", "high", "low", "close", "volume", "vwap"))

    def r(s: pd.Series | np.ndarray, n: int) -> pd.core.window.Rolling:
        return pd.Series(s, index=df.index).astype(np.float64).rolling(n, min_periods=1)

    out: dict[str, pd.Series] = {
        "KMID": (c - o) / o,
        "KLEN": (h - lo) / o,
        "KMID2": (c - o) / (h - lo + 1e-12),
        "KUP": (h - np.maximum(o, c)) / o,
        "KUP2": (h - np.maximum(o, c)) / (h - lo + 1e-12),
        "KLOW": (np.minimum(o, c) - lo) / o,
        "KLOW2": (np.minimum(o, c) - lo) / (h - lo + 1e-12),
        "KSFT": (2 * c - h - lo) / o,
        "KSFT2": (2 * c - h - lo) / (h - lo + 1e-12),
        "OPEN0": o / c,
        "HIGH0": h / c,
        "LOW0": lo / c,
        "VWAP0": vw / c,
    }
    c1, v1 = c.shift(1), v.shift(1)
    up = pd.Series(np.greater(c, c1), index=df.index)
    down = pd.Series(np.less(c, c1), index=df.index)
    gain, loss, move = np.maximum(c - c1, 0), np.maximum(c1 - c, 0), np.abs(c - c1)
    vgain, vloss, vmove = np.maximum(v - v1, 0), np.maximum(v1 - v, 0), np.abs(v - v1)
    wv = np.abs(c / c1 - 1) * v
    families: dict[str, Callable[[int], pd.Series]] = {
        "ROC": lambda d: c.shift(d) / c,
        "MA": lambda d: r(c, d).mean() / c,
        "STD": lambda d: r(c, d).std() / c,
        "BETA": lambda d: slope(c, d) / c,
        "RSQR": lambda d: rsquare(c, d),
        "RESI": lambda d: resi(c, d) / c,
        "MAX": lambda d: r(h, d).max() / c,
        "MIN": lambda d: r(lo, d).min() / c,
        "QTLU": lambda d: r(c, d).quantile(0.8) / c,
        "QTLD": lambda d: r(c, d).quantile(0.2) / c,
        "RANK": lambda d: r(c, d).rank(pct=True),
        "RSV": lambda d: (c - r(lo, d).min()) / (r(h, d).max() - r(lo, d).min() + 1e-12),
        "IMAX": lambda d: idxmax(h, d) / d,
        "IMIN": lambda d: idxmin(lo, d) / d,
        "IMXD": lambda d: (idxmax(h, d) - idxmin(lo, d)) / d,
        "CORR": lambda d: corr(c, np.log(v + 1), d),
        "CORD": lambda d: corr(c / c1, pd.Series(np.log(v / v1 + 1), index=df.index), d),
        "CNTP": lambda d: r(up, d).mean(),
        "CNTN": lambda d: r(down, d).mean(),
        "CNTD": lambda d: r(up, d).mean() - r(down, d).mean(),
        "SUMP": lambda d: r(gain, d).sum() / (r(move, d).sum() + 1e-12),
        "SUMN": lambda d: r(loss, d).sum() / (r(move, d).sum() + 1e-12),
        "SUMD": lambda d: (r(gain, d).sum() - r(loss, d).sum()) / (r(move, d).sum() + 1e-12),
        "VMA": lambda d: r(v, d).mean() / (v + 1e-12),
        "VSTD": lambda d: r(v, d).std() / (v + 1e-12),
        "WVMA": lambda d: r(wv, d).std() / (r(wv, d).mean() + 1e-12),
        "VSUMP": lambda d: r(vgain, d).sum() / (r(vmove, d).sum() + 1e-12),
        "VSUMN": lambda d: r(vloss, d).sum() / (r(vmove, d).sum() + 1e-12),
        "VSUMD": lambda d: (r(vgain, d).sum() - r(vloss, d).sum()) / (r(vmove, d).sum() + 1e-12),
    }
    for prefix, make in families.items():
        for d in WINDOWS:
            if only is None or only(f"{prefix}{d}"):
                out[f"{prefix}{d}"] = make(d)
    return {k: s for k, s in out.items() if only is None or only(k)}


def on_calendar(
    panel: pd.DataFrame, instrument: str = "instrument", time: str = "ts"
) -> pd.DataFrame:
    """Each instrument reindexed to the panel's calendar from its first to its last row."""
    calendar = np.sort(panel[time].unique())
    parts = []
    for key, g in panel.groupby(instrument, sort=False):
        span = calendar[(calendar >= g[time].min()) & (calendar <= g[time].max())]
        full = g.set_index(time).reindex(span)
        full[instrument] = key
        full["present"] = full.index.isin(g[time])
        parts.append(full.reset_index(names=time))
    return pd.concat(parts, ignore_index=True)


def alpha158_pandas(
    panel: pd.DataFrame,
    instrument: str = "instrument",
    time: str = "ts",
    only: Callable[[str], bool] | None = None,
) -> pd.DataFrame:
    """Alpha158 per instrument over the calendar-aligned panel; the panel's own rows only."""
    frames = []
    for _, g in on_calendar(panel, instrument, time).groupby(instrument, sort=False):
        g = g.reset_index(drop=True)
        feats = _features(g, only)
        f = pd.DataFrame({k: np.asarray(s, dtype=np.float64) for k, s in feats.items()})
        f.insert(0, time, g[time].to_numpy())
        f.insert(0, instrument, g[instrument].to_numpy())
        frames.append(f[g["present"].to_numpy()])
    return pd.concat(frames, ignore_index=True)

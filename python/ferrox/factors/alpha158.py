"""Qlib's Alpha158 feature set as expression strings.

The names and expressions are those of ``qlib.contrib.data.loader.Alpha158DL``
with the configuration Qlib's ``Alpha158`` handler passes (Qlib 0.9.7): the 9
KBAR features, OPEN0/HIGH0/LOW0/VWAP0, and 29 rolling families over windows
5, 10, 20, 30 and 60 (the handler keeps RANK and every other family).
"""

from __future__ import annotations

WINDOWS = (5, 10, 20, 30, 60)
"""Rolling windows of Alpha158."""

_KBAR = {
    "KMID": "($close-$open)/$open",
    "KLEN": "($high-$low)/$open",
    "KMID2": "($close-$open)/($high-$low+1e-12)",
    "KUP": "($high-Greater($open, $close))/$open",
    "KUP2": "($high-Greater($open, $close))/($high-$low+1e-12)",
    "KLOW": "(Less($open, $close)-$low)/$open",
    "KLOW2": "(Less($open, $close)-$low)/($high-$low+1e-12)",
    "KSFT": "(2*$close-$high-$low)/$open",
    "KSFT2": "(2*$close-$high-$low)/($high-$low+1e-12)",
}

# Each family: name prefix -> expression template over the window {d}.
_ROLLING = {
    "ROC": "Ref($close, {d})/$close",
    "MA": "Mean($close, {d})/$close",
    "STD": "Std($close, {d})/$close",
    "BETA": "Slope($close, {d})/$close",
    "RSQR": "Rsquare($close, {d})",
    "RESI": "Resi($close, {d})/$close",
    "MAX": "Max($high, {d})/$close",
    "MIN": "Min($low, {d})/$close",
    "QTLU": "Quantile($close, {d}, 0.8)/$close",
    "QTLD": "Quantile($close, {d}, 0.2)/$close",
    "RANK": "Rank($close, {d})",
    "RSV": "($close-Min($low, {d}))/(Max($high, {d})-Min($low, {d})+1e-12)",
    "IMAX": "IdxMax($high, {d})/{d}",
    "IMIN": "IdxMin($low, {d})/{d}",
    "IMXD": "(IdxMax($high, {d})-IdxMin($low, {d}))/{d}",
    "CORR": "Corr($close, Log($volume+1), {d})",
    "CORD": "Corr($close/Ref($close,1), Log($volume/Ref($volume, 1)+1), {d})",
    "CNTP": "Mean($close>Ref($close, 1), {d})",
    "CNTN": "Mean($close<Ref($close, 1), {d})",
    "CNTD": "Mean($close>Ref($close, 1), {d})-Mean($close<Ref($close, 1), {d})",
    "SUMP": "Sum(Greater($close-Ref($close, 1), 0), {d})/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)",
    "SUMN": "Sum(Greater(Ref($close, 1)-$close, 0), {d})/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)",
    "SUMD": "(Sum(Greater($close-Ref($close, 1), 0), {d})-Sum(Greater(Ref($close, 1)-$close, 0), {d}))"
    "/(Sum(Abs($close-Ref($close, 1)), {d})+1e-12)",
    "VMA": "Mean($volume, {d})/($volume+1e-12)",
    "VSTD": "Std($volume, {d})/($volume+1e-12)",
    "WVMA": "Std(Abs($close/Ref($close, 1)-1)*$volume, {d})"
    "/(Mean(Abs($close/Ref($close, 1)-1)*$volume, {d})+1e-12)",
    "VSUMP": "Sum(Greater($volume-Ref($volume, 1), 0), {d})/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)",
    "VSUMN": "Sum(Greater(Ref($volume, 1)-$volume, 0), {d})/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)",
    "VSUMD": "(Sum(Greater($volume-Ref($volume, 1), 0), {d})-Sum(Greater(Ref($volume, 1)-$volume, 0), {d}))"
    "/(Sum(Abs($volume-Ref($volume, 1)), {d})+1e-12)",
}


def alpha158() -> dict[str, str]:
    """The 158 Alpha158 features, name -> expression, in Qlib's order.

    >>> features = alpha158()
    >>> len(features), features["MA5"], features["KMID"]
    (158, 'Mean($close, 5)/$close', '($close-$open)/$open')
    """
    features = dict(_KBAR)
    for field in ("open", "high", "low", "vwap"):
        features[f"{field.upper()}0"] = f"${field}/$close"
    for prefix, template in _ROLLING.items():
        for d in WINDOWS:
            features[f"{prefix}{d}"] = template.format(d=d)
    return features


__all__ = ["WINDOWS", "alpha158"]

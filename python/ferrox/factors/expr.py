"""A Python builder for factor expressions.

``F.close`` is the field ``$close``; operators and methods build the same text
that could be written by hand, so a built expression and a string are
interchangeable everywhere::

    >>> from ferrox.factors import F
    >>> str(F.close.mean(5) / F.close)
    '(Mean($close, 5) / $close)'
    >>> str((F.close > F.close.ref(1)).mean(20))
    'Mean(($close > Ref($close, 1)), 20)'
"""

from __future__ import annotations

from typing import Union

ExprLike = Union["Expr", float, int, str]
"""What an operand may be: an :class:`Expr`, a number, or expression text."""


def _text(value: ExprLike) -> str:
    if isinstance(value, Expr):
        return value.text
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return f"({value})"


def _num(value: float) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


class Expr:
    """A factor expression; ``str(expr)`` is its text in the expression language."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Expr({self.text!r})"

    def _bin(self, op: str, other: ExprLike, reverse: bool = False) -> Expr:
        a, b = (_text(other), self.text) if reverse else (self.text, _text(other))
        return Expr(f"({a} {op} {b})")

    def _call(self, name: str, *args: ExprLike) -> Expr:
        rest = "".join(f", {_text(a)}" for a in args)
        return Expr(f"{name}({self.text}{rest})")

    def _roll(self, name: str, n: int) -> Expr:
        return Expr(f"{name}({self.text}, {int(n)})")

    # Arithmetic, comparisons and logic ----------------------------------
    def __add__(self, other: ExprLike) -> Expr:
        return self._bin("+", other)

    def __radd__(self, other: ExprLike) -> Expr:
        return self._bin("+", other, reverse=True)

    def __sub__(self, other: ExprLike) -> Expr:
        return self._bin("-", other)

    def __rsub__(self, other: ExprLike) -> Expr:
        return self._bin("-", other, reverse=True)

    def __mul__(self, other: ExprLike) -> Expr:
        return self._bin("*", other)

    def __rmul__(self, other: ExprLike) -> Expr:
        return self._bin("*", other, reverse=True)

    def __truediv__(self, other: ExprLike) -> Expr:
        return self._bin("/", other)

    def __rtruediv__(self, other: ExprLike) -> Expr:
        return self._bin("/", other, reverse=True)

    def __pow__(self, other: ExprLike) -> Expr:
        return self._call("Power", other)

    def __neg__(self) -> Expr:
        return Expr(f"(-{self.text})")

    def __abs__(self) -> Expr:
        return self._call("Abs")

    def __gt__(self, other: ExprLike) -> Expr:
        return self._bin(">", other)

    def __ge__(self, other: ExprLike) -> Expr:
        return self._bin(">=", other)

    def __lt__(self, other: ExprLike) -> Expr:
        return self._bin("<", other)

    def __le__(self, other: ExprLike) -> Expr:
        return self._bin("<=", other)

    def eq(self, other: ExprLike) -> Expr:
        """1 where equal to ``other``, else 0 (``==`` is kept for Python equality)."""
        return self._bin("==", other)

    def ne(self, other: ExprLike) -> Expr:
        """1 where not equal to ``other``, else 0."""
        return self._bin("!=", other)

    def __and__(self, other: ExprLike) -> Expr:
        return self._bin("&", other)

    def __or__(self, other: ExprLike) -> Expr:
        return self._bin("|", other)

    def __invert__(self) -> Expr:
        return self._call("Not")

    # Element-wise ---------------------------------------------------------
    def abs(self) -> Expr:
        """``Abs(x)``."""
        return self._call("Abs")

    def log(self) -> Expr:
        """``Log(x)``: natural logarithm."""
        return self._call("Log")

    def sign(self) -> Expr:
        """``Sign(x)``: -1, 0 or 1."""
        return self._call("Sign")

    def power(self, exponent: ExprLike) -> Expr:
        """``Power(x, exponent)``."""
        return self._call("Power", exponent)

    def greater(self, other: ExprLike) -> Expr:
        """``Greater(x, other)``: element-wise maximum."""
        return self._call("Greater", other)

    def less(self, other: ExprLike) -> Expr:
        """``Less(x, other)``: element-wise minimum."""
        return self._call("Less", other)

    def if_else(self, then: ExprLike, otherwise: ExprLike) -> Expr:
        """``If(x, then, otherwise)``: ``then`` where this is non-zero."""
        return self._call("If", then, otherwise)

    # Time series ----------------------------------------------------------
    def ref(self, n: int) -> Expr:
        """``Ref(x, n)``: the value ``n`` periods earlier."""
        return self._roll("Ref", n)

    def delta(self, n: int) -> Expr:
        """``Delta(x, n)``: ``x - Ref(x, n)``."""
        return self._roll("Delta", n)

    def mean(self, n: int) -> Expr:
        """``Mean(x, n)``."""
        return self._roll("Mean", n)

    def sum(self, n: int) -> Expr:
        """``Sum(x, n)``."""
        return self._roll("Sum", n)

    def std(self, n: int) -> Expr:
        """``Std(x, n)`` (ddof 1)."""
        return self._roll("Std", n)

    def var(self, n: int) -> Expr:
        """``Var(x, n)`` (ddof 1)."""
        return self._roll("Var", n)

    def max(self, n: int) -> Expr:
        """``Max(x, n)``."""
        return self._roll("Max", n)

    def min(self, n: int) -> Expr:
        """``Min(x, n)``."""
        return self._roll("Min", n)

    def med(self, n: int) -> Expr:
        """``Med(x, n)``: rolling median."""
        return self._roll("Med", n)

    def mad(self, n: int) -> Expr:
        """``Mad(x, n)``: rolling mean absolute deviation."""
        return self._roll("Mad", n)

    def count(self, n: int) -> Expr:
        """``Count(x, n)``: non-missing values in the window."""
        return self._roll("Count", n)

    def slope(self, n: int) -> Expr:
        """``Slope(x, n)``: least-squares slope per period."""
        return self._roll("Slope", n)

    def rsquare(self, n: int) -> Expr:
        """``Rsquare(x, n)``: R² of the rolling linear fit."""
        return self._roll("Rsquare", n)

    def resi(self, n: int) -> Expr:
        """``Resi(x, n)``: residual of the latest value from the rolling fit."""
        return self._roll("Resi", n)

    def rank(self, n: int) -> Expr:
        """``Rank(x, n)``: percentile of the latest value in its window."""
        return self._roll("Rank", n)

    def quantile(self, n: int, q: float) -> Expr:
        """``Quantile(x, n, q)``."""
        return Expr(f"Quantile({self.text}, {int(n)}, {_num(q)})")

    def idxmax(self, n: int) -> Expr:
        """``IdxMax(x, n)``: 1-based position of the maximum from the window's oldest row."""
        return self._roll("IdxMax", n)

    def idxmin(self, n: int) -> Expr:
        """``IdxMin(x, n)``: 1-based position of the minimum from the window's oldest row."""
        return self._roll("IdxMin", n)

    def wma(self, n: int) -> Expr:
        """``WMA(x, n)``: Qlib's linearly weighted mean."""
        return self._roll("WMA", n)

    def ema(self, n: float) -> Expr:
        """``EMA(x, n)``: span ``n`` (whole, >= 1) or alpha ``n`` (0 < n < 1)."""
        return Expr(f"EMA({self.text}, {_num(n)})")

    def corr(self, other: ExprLike, n: int) -> Expr:
        """``Corr(x, other, n)``: rolling correlation."""
        return Expr(f"Corr({self.text}, {_text(other)}, {int(n)})")

    def cov(self, other: ExprLike, n: int) -> Expr:
        """``Cov(x, other, n)``: rolling covariance."""
        return Expr(f"Cov({self.text}, {_text(other)}, {int(n)})")

    # Cross-sectional ------------------------------------------------------
    def cs_rank(self) -> Expr:
        """``CSRank(x)``: percentile rank across instruments at each time."""
        return self._call("CSRank")

    def cs_zscore(self) -> Expr:
        """``CSZScore(x)``: z-score across instruments at each time (ddof 1)."""
        return self._call("CSZScore")

    def cs_demean(self) -> Expr:
        """``CSDemean(x)``: minus the cross-sectional mean."""
        return self._call("CSDemean")

    def cs_neutralize(self, group: ExprLike) -> Expr:
        """``CSNeutralize(x, group)``: minus the mean of its group at each time."""
        return self._call("CSNeutralize", group)

    def cs_winsorize(self, q: float) -> Expr:
        """``CSWinsorize(x, q)``: clipped to the ``q`` and ``1 - q`` quantiles at each time."""
        return Expr(f"CSWinsorize({self.text}, {_num(q)})")


class _Fields:
    """``F.close`` / ``F["close"]``: a panel column as an :class:`Expr`."""

    def __getattr__(self, name: str) -> Expr:
        if name.startswith("__"):
            raise AttributeError(name)
        return Expr(f"${name}")

    def __getitem__(self, name: str) -> Expr:
        return Expr(f"${name}")


F = _Fields()
"""Field accessor: ``F.close`` is ``$close``."""

__all__ = ["Expr", "ExprLike", "F"]

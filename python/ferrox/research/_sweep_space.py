"""Parameter spaces of a sweep: a grid (cartesian product) or a seeded random search."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from ferrox.errors import ConfigError


@dataclass(frozen=True)
class Range:
    """A numeric range ``low..high`` (both ends included).

    With ``step`` it is the finite list ``low, low + step, ... <= high`` (a grid can
    use it); without, a random search draws from it: integers uniformly when both
    ends are ints, floats uniformly otherwise, or log-uniformly with ``log=True``.

    >>> Range(10, 30, step=10).values()
    [10, 20, 30]
    """

    low: float
    high: float
    step: float | None = None
    log: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.high < self.low:
            raise ConfigError(f"range {self.low}..{self.high}: expected finite low <= high")
        if self.step is not None and not self.step > 0:
            raise ConfigError(f"range {self.low}..{self.high}: step {self.step} must be > 0")
        if self.log and self.low <= 0:
            raise ConfigError(f"range {self.low}..{self.high}: a log range needs low > 0")

    @property
    def integral(self) -> bool:
        """Whether the range holds integers only."""
        ints = (self.low, self.high) if self.step is None else (self.low, self.high, self.step)
        return all(isinstance(v, int) and not isinstance(v, bool) for v in ints)

    def values(self) -> list[Any]:
        """The finite values of a stepped range."""
        if self.step is None:
            raise ConfigError(
                f"range {self.low}..{self.high} has no step: a grid needs a list or a step"
            )
        count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
        if self.integral:
            return [int(self.low + i * self.step) for i in range(count)]
        # Rounded to the step's decimals so 0.1 + 2 * 0.1 reads 0.3, not 0.30000000000000004.
        digits = max(0, -math.floor(math.log10(self.step)) + 6)
        return [round(self.low + i * self.step, digits) for i in range(count)]

    def sample(self, rng: random.Random) -> Any:
        """One draw."""
        if self.step is not None:
            return rng.choice(self.values())
        if self.log:
            value = math.exp(rng.uniform(math.log(self.low), math.log(self.high)))
            return round(value) if self.integral else value
        if self.integral:
            return rng.randint(int(self.low), int(self.high))
        return rng.uniform(self.low, self.high)


#: What one parameter may take: a list of values or a :class:`Range`.
Values: TypeAlias = Sequence[Any] | Range
#: A parameter space: name -> values.
Space: TypeAlias = Mapping[str, Values]


def _check(space: Space) -> None:
    if not space:
        raise ConfigError("sweep: the parameter space is empty (give at least one parameter)")
    for name, values in space.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"sweep: parameter name {name!r} is not a non-empty string")
        if isinstance(values, Range):
            continue
        if isinstance(values, str | bytes) or not isinstance(values, Sequence):
            raise ConfigError(
                f"sweep: parameter {name!r}: expected a list of values or a Range, got {values!r}"
            )
        if len(values) == 0:
            raise ConfigError(f"sweep: parameter {name!r} has no values")


def grid(space: Space) -> list[dict[str, Any]]:
    """Every combination of the values (cartesian product), the last parameter varying fastest.

    >>> grid({"fast": [5, 10], "slow": [20, 30]})
    [{'fast': 5, 'slow': 20}, {'fast': 5, 'slow': 30}, {'fast': 10, 'slow': 20}, {'fast': 10, 'slow': 30}]
    """
    _check(space)
    names = list(space)
    lists = [v.values() if isinstance(v, Range) else list(v) for v in space.values()]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)]


def random_search(space: Space, n: int, *, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct parameter sets drawn from ``space`` with a seeded generator.

    Lists are drawn from uniformly, :class:`Range` as it says. When the space is
    finite and holds no more than ``n`` sets, every set is returned (grid order).
    The same space, ``n`` and ``seed`` give the same sets on every machine.

    >>> random_search({"fast": [5, 10, 20], "slow": Range(30, 90)}, 2, seed=1)
    [{'fast': 5, 'slow': 66}, {'fast': 5, 'slow': 46}]
    """
    _check(space)
    if n < 1:
        raise ConfigError(f"sweep: random search needs n >= 1 samples, got {n}")
    finite = all(not isinstance(v, Range) or v.step is not None for v in space.values())
    if finite:
        size = math.prod(
            len(v.values()) if isinstance(v, Range) else len(v) for v in space.values()
        )
        if size <= n:
            return grid(space)
    rng = random.Random(seed)
    seen: set[str] = set()
    sets: list[dict[str, Any]] = []
    for _ in range(n * 100):
        params = {
            name: v.sample(rng) if isinstance(v, Range) else rng.choice(list(v))
            for name, v in space.items()
        }
        marker = repr(sorted(params.items()))
        if marker in seen:
            continue
        seen.add(marker)
        sets.append(params)
        if len(sets) == n:
            return sets
    raise ConfigError(f"sweep: could not draw {n} distinct parameter sets (got {len(sets)})")

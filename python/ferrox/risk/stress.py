"""User-defined stress scenarios: price shocks per instrument or per group.

A scenario shocks prices by fractions (``-0.20`` = a 20% fall). An instrument
shock overrides the shock of its group. The P&L of a position is its market
value (base currency) times its shock, so a scenario's P&L is linear and exact
for spot and linear derivatives.

Scenarios come from a dict or a TOML file with the same shape; the file may
also define the groups (group = list of instruments)::

    [groups]
    crypto = ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE"]

    [scenarios.crypto_crash]
    description = "Crypto sells off; ETH worse"
    groups = { crypto = -0.30 }
    instruments = { "ETHUSDT.BINANCE" = -0.40 }
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ferrox.errors import ConfigError


@dataclass(frozen=True)
class Scenario:
    """A named set of price shocks (fractions) per instrument and per group."""

    name: str
    instruments: dict[str, float] = field(default_factory=dict)
    groups: dict[str, float] = field(default_factory=dict)
    description: str = ""


def _shocks(value: Any, where: str) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a table of name = shock, got {value!r}")
    shocks: dict[str, float] = {}
    for key, shock in value.items():
        if (
            isinstance(shock, bool)
            or not isinstance(shock, int | float)
            or not math.isfinite(shock)
        ):
            raise ConfigError(
                f"{where}.{key}: expected a finite shock as a fraction (e.g. -0.2), got {shock!r}"
            )
        shocks[str(key)] = float(shock)
    return shocks


def scenarios_from_dict(table: Mapping[str, Any], source: str = "scenarios") -> list[Scenario]:
    """Scenarios from ``{name: {"instruments": {...}, "groups": {...}, "description": ...}}``.

    >>> scenarios_from_dict({"crash": {"groups": {"crypto": -0.3}}})[0].groups
    {'crypto': -0.3}
    """
    scenarios: list[Scenario] = []
    for name, body in table.items():
        where = f"{source}: scenario {name!r}"
        if not isinstance(body, Mapping):
            raise ConfigError(f"{where}: expected a table, got {body!r}")
        unknown = set(body) - {"instruments", "groups", "description"}
        if unknown:
            raise ConfigError(
                f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                "(expected instruments, groups, description)"
            )
        instruments = _shocks(body.get("instruments", {}), f"{where} instruments")
        groups = _shocks(body.get("groups", {}), f"{where} groups")
        if not instruments and not groups:
            raise ConfigError(f"{where}: shocks no instrument and no group")
        scenarios.append(Scenario(str(name), instruments, groups, str(body.get("description", ""))))
    if not scenarios:
        raise ConfigError(f"{source}: no scenarios defined")
    return scenarios


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc


def load_scenarios(path: str | Path) -> list[Scenario]:
    """Scenarios from the ``[scenarios.NAME]`` tables of a TOML file."""
    path = Path(path)
    table = _read_toml(path).get("scenarios")
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: expected [scenarios.NAME] tables")
    return scenarios_from_dict(table, source=str(path))


def groups_from_dict(table: Mapping[str, Any], source: str = "groups") -> dict[str, str]:
    """``{group: [instrument, ...]}`` turned into ``{instrument: group}``.

    >>> groups_from_dict({"crypto": ["BTCUSDT.BINANCE"]})
    {'BTCUSDT.BINANCE': 'crypto'}
    """
    mapping: dict[str, str] = {}
    for group, members in table.items():
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            raise ConfigError(
                f"{source}.{group}: expected a list of instrument ids, got {members!r}"
            )
        for instrument in members:
            if instrument in mapping and mapping[instrument] != group:
                raise ConfigError(
                    f"{source}: {instrument!r} is in both {mapping[instrument]!r} and {group!r}"
                )
            mapping[instrument] = str(group)
    return mapping


def load_groups(path: str | Path) -> dict[str, str]:
    """The ``[groups]`` table of a TOML file as ``{instrument: group}`` (empty when absent)."""
    path = Path(path)
    table = _read_toml(path).get("groups", {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{path}: [groups] must be a table of group = [instruments]")
    return groups_from_dict(table, source=f"{path}: groups")


__all__ = ["Scenario", "groups_from_dict", "load_groups", "load_scenarios", "scenarios_from_dict"]

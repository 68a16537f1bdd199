"""The Python examples of the "Portfolio risk" section of ``docs/risk.md`` run as written."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from ferrox.risk.stress import groups_from_dict, scenarios_from_dict

PAGE = Path(__file__).resolve().parent.parent / "docs" / "risk.md"
TEXT = PAGE.read_text(encoding="utf-8")
SECTION = TEXT.split("## Portfolio risk", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```python\n(.*?)```", SECTION, re.DOTALL)


def test_the_section_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_every_python_example_runs(code: str) -> None:
    exec(compile(code, str(PAGE), "exec"), {"__name__": "docs_risk"})


def test_the_toml_example_is_a_valid_scenario_file() -> None:
    (toml,) = re.findall(r"```toml\n(.*?)```", SECTION, re.DOTALL)
    document = tomllib.loads(toml)
    assert [s.name for s in scenarios_from_dict(document["scenarios"])] == [
        "crypto_crash",
        "equity_rally",
    ]
    assert groups_from_dict(document["groups"])["ETHUSDT.BINANCE"] == "crypto"

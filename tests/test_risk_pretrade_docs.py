"""The examples of the "Pre-trade controls" section of ``docs/risk.md`` run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ferrox.risk.pretrade import REASON_CODES, RiskConfig, risk_config_to_engine

PAGE = Path(__file__).resolve().parent.parent / "docs" / "risk.md"
SECTION = PAGE.read_text(encoding="utf-8").split("## Pre-trade controls", 1)[1].split("\n## ", 1)[0]
BLOCKS = re.findall(r"```python\n(.*?)```", SECTION, re.DOTALL)


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_every_python_example_runs(code: str) -> None:
    exec(compile(code, str(PAGE), "exec"), {"__name__": "docs_risk_pretrade"})


def test_the_toml_example_configures_every_scope() -> None:
    (toml,) = re.findall(r"```toml\n(.*?)```", SECTION, re.DOTALL)
    settings = risk_config_to_engine(RiskConfig.from_toml(toml), ["BTC-PERP.BINANCE"])
    assert {scope for scope, _, _ in settings} == {"account", "strategy:0", "instrument:0"}


def test_the_table_names_every_reason_code() -> None:
    table = SECTION.split("### The controls", 1)[1].split("###", 1)[0]
    missing = [code for code in REASON_CODES if f"`{code}`" not in table and code != "RISK_ERROR"]
    assert missing == []

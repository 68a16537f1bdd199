"""docs/indicators.md: its examples run and its tables list every indicator."""

from __future__ import annotations

import re
from pathlib import Path

import ferrox.ta as ta

DOC = Path(__file__).resolve().parents[1] / "docs" / "indicators.md"


def test_the_python_examples_in_the_indicator_docs_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert blocks
    namespace: dict[str, object] = {}
    for block in blocks:  # one namespace: later examples build on earlier ones
        exec(compile(block, str(DOC), "exec"), namespace)


def test_the_indicator_docs_list_every_function_with_its_defaults() -> None:
    text = DOC.read_text()
    for name in ta.get_functions():
        assert f"| `{name}(" in text, name

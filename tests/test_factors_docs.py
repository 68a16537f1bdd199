"""docs/factors.md: its example runs and its table names every operator."""

from __future__ import annotations

import re
from pathlib import Path

from ferrox.factors import operators

DOC = Path(__file__).resolve().parents[1] / "docs" / "factors.md"


def test_the_python_example_in_the_factor_docs_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert blocks
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)


def test_the_factor_docs_name_every_operator() -> None:
    text = DOC.read_text()
    for name in operators():
        assert re.search(rf"`{name}\(|\b{name}\b", text), name

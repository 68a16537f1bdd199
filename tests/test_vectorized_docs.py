"""docs/vectorized.md: its examples run."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "vectorized.md"


def test_the_python_examples_in_the_vectorized_docs_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    for block in blocks:  # one namespace: later examples build on earlier ones
        exec(compile(block, str(DOC), "exec"), namespace)

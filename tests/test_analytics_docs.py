"""docs/analytics.md: its examples run and it defines every public analytics function."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from ferrox import analytics

DOC = Path(__file__).resolve().parents[1] / "docs" / "analytics.md"


def test_the_python_examples_in_the_analytics_docs_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {}
    for block in blocks:  # one namespace: later examples build on earlier ones
        exec(compile(block, str(DOC), "exec"), namespace)


def test_the_analytics_docs_define_every_public_function() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in analytics.__all__:
        if inspect.isfunction(getattr(analytics, name)):
            assert f"`{name}(" in text, name


def test_the_analytics_docs_define_every_results_statistic() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name in analytics.STAT_NAMES:
        assert f"| `{name}` |" in text, name

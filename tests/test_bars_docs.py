"""The Python examples in ``docs/bars.md`` run as written (so the page cannot go stale)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "bars.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)


def test_the_page_has_examples() -> None:
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_every_python_example_runs(code: str) -> None:
    exec(compile(code, str(PAGE), "exec"), {"__name__": "docs_bars"})


def test_every_picture_the_page_shows_exists() -> None:
    for image in re.findall(r"\]\((img/[^)]+)\)", PAGE.read_text(encoding="utf-8")):
        assert (PAGE.parent / image).is_file(), image

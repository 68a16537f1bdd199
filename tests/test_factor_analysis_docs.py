"""docs/factors.md, section "Factor analysis": its example runs and it names every output."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from ferrox.factors import FactorAnalysis, analyze

DOC = Path(__file__).resolve().parents[1] / "docs" / "factors.md"


def section() -> str:
    text = DOC.read_text()
    start = text.index("## Factor analysis")
    following = text.find("\n## ", start + 1)
    return text[start:] if following < 0 else text[start:following]


def test_the_factor_analysis_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", section(), flags=re.DOTALL)
    assert blocks
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(DOC), "exec"), namespace)
    assert isinstance(namespace["result"], FactorAnalysis)


def test_the_docs_show_the_cli_command_with_every_option_it_names() -> None:
    text = section()
    for option in (
        "--prices",
        "--factor",
        "--horizons",
        "--quantiles",
        "--out",
        "--json",
        "--group",
        "--price",
        "--instrument",
        "--time",
    ):
        assert option in text, option  # fmt: skip


def test_every_summary_column_is_defined_in_the_docs() -> None:
    panel = pl.DataFrame(
        {"instrument": list("ABCD") * 4, "ts": [t for t in range(4) for _ in range(4)],
         "close": [float(10 + i + t) for t in range(4) for i in range(4)]}
    ).with_columns(f=pl.col("close"))  # fmt: skip
    result = analyze(panel, panel, factor="f", horizons=[1], quantiles=2)
    text = section()
    for column in ("periods", "mean", "std", "ir", "t", "cumulative", "names", "mean_return"):
        assert f"`{column}`" in text or f"`{column} " in text, column
    assert set(result.quantile_summary.columns) >= {"periods", "mean", "std", "ir", "t"}

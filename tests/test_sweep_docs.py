"""docs/sweeps.md: its examples run."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "sweeps.md"


def test_the_python_examples_in_the_sweeps_docs_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 2
    namespace: dict[str, object] = {}
    for block in blocks:  # one namespace: later examples build on earlier ones
        exec(compile(block, str(DOC), "exec"), namespace)


def test_the_sweep_table_in_the_docs_is_a_valid_config(tmp_path: Path) -> None:
    from ferrox.research._sweep_config import load_sweep
    from ferrox.research.sweep import Range

    (toml,) = re.findall(r"```toml\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    (tmp_path / "sweep.toml").write_text(toml)
    plan = load_sweep(tmp_path / "sweep.toml")
    assert (plan.samples, plan.seed, plan.workers, plan.ray) == (50, 7, 2, "local")
    assert plan.out == tmp_path / "sweeps" / "ema"
    assert plan.space["slow"] == Range(20, 100, 10)
    assert len(plan.parameter_sets()) == 50

"""The ``_core.pyi`` stubs list exactly what the compiled module exports."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import ferrox._core as core

STUB = Path(__file__).resolve().parent.parent / "python" / "ferrox" / "_core.pyi"


def _stub_names() -> dict[str, set[str]]:
    """Top-level names of the stub, each with its member names (for classes)."""
    tree = ast.parse(STUB.read_text())
    names: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            names[node.name] = {n.name for n in node.body if isinstance(n, ast.FunctionDef)} | {
                t.id
                for n in node.body
                if isinstance(n, ast.AnnAssign)
                for t in [n.target]
                if isinstance(t, ast.Name)
            }
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = set()
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = set()
    return names


def test_every_export_of_the_core_has_a_stub_and_back() -> None:
    stub = {n for n in _stub_names() if not n.startswith("_") or n == "__version__"}
    exported = {n for n in dir(core) if not n.startswith("_") or n == "__version__"}
    assert exported - stub == set(), "exported but missing from _core.pyi"
    assert stub - exported == set(), "in _core.pyi but not exported"


def test_every_public_method_of_each_class_has_a_stub() -> None:
    stub = _stub_names()
    for name, members in stub.items():
        obj = getattr(core, name)
        if not inspect.isclass(obj):
            continue
        public = {m for m in vars(obj) if not m.startswith("_")}
        assert public - members == set(), f"{name}: methods missing from _core.pyi"

"""Corrupted inputs never crash the process and never change the catalog (hypothesis)."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferrox import DataError
from ferrox.data.catalog import Catalog
from ferrox.data.importer import import_files
from ferrox.demo.synthetic import generate


def _snapshot(root: Path) -> dict[str, str]:
    """Every file under the catalog (staging and locks aside) with its sha256."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock" and ".staging" not in p.parts
    }


@pytest.fixture(scope="module")
def capture_lines(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    [first, *_] = generate(tmp_path_factory.mktemp("synthetic"), messages=400)
    return gzip.decompress(first.read_bytes()).splitlines(keepends=True)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    edits=st.lists(st.tuples(st.integers(0, 50_000), st.integers(0, 255)), min_size=1, max_size=6),
    cut=st.one_of(st.none(), st.integers(0, 50_000)),
)
def test_a_corrupted_capture_leaves_the_catalog_as_it_was_or_adds_it_whole(
    tmp_path_factory: pytest.TempPathFactory,
    capture_lines: list[bytes],
    edits: list[tuple[int, int]],
    cut: int | None,
) -> None:
    root = tmp_path_factory.mktemp("catalog")
    good = root.parent / f"{root.name}-good.gz"
    good.write_bytes(gzip.compress(b"".join(capture_lines[:200]), mtime=0))
    catalog = Catalog(root / "cat")
    import_files([good], "binance", catalog)
    before = _snapshot(catalog.root)

    data = bytearray(gzip.compress(b"".join(capture_lines[200:]), mtime=0))
    for position, value in edits:
        data[position % len(data)] = value
    if cut is not None:
        data = data[: cut % len(data)]
    bad = root.parent / f"{root.name}-bad.gz"
    bad.write_bytes(bytes(data))

    try:
        import_files([bad], "binance", catalog)
    except DataError:
        assert _snapshot(catalog.root) == before
    else:
        # Whatever was accepted went in whole: the old files are untouched.
        after = _snapshot(catalog.root)
        assert {k: v for k, v in after.items() if k in before and k != "_manifest.json"} == {
            k: v for k, v in before.items() if k != "_manifest.json"
        }
        assert Catalog(catalog.root).has_source(hashlib.sha256(bytes(data)).hexdigest())

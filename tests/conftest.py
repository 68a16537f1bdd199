"""Shared fixtures: the real data folder (``../shared/data`` or ``$FERROX_DATA``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _shared_data() -> Path | None:
    env = os.environ.get("FERROX_DATA")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for path in candidates:
        if path.is_dir():
            return path
    return None


SHARED_DATA = _shared_data()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real exchange data; tests using it skip when it is absent."""
    if SHARED_DATA is None:
        pytest.skip("real data folder not found: set FERROX_DATA or place it at ../shared/data")
    return SHARED_DATA

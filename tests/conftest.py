"""Shared fixtures: where the real evaluation data lives (``$KEEPTRACK_DATA`` or
``../shared/data`` beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("KEEPTRACK_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Root of the shared evaluation data; tests needing it fail loudly if it is missing."""
    if not DATA_DIR.is_dir():
        pytest.fail(f"evaluation data not found at {DATA_DIR}; set KEEPTRACK_DATA")
    return DATA_DIR


@pytest.fixture(scope="session")
def mot17_dir(data_dir: Path) -> Path:
    return data_dir / "mot17-train"


@pytest.fixture(scope="session")
def mot15_dir(data_dir: Path) -> Path:
    return data_dir / "mot15-train"

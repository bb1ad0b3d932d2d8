"""Every ```python block in README.md runs as written (the README must not lie)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATA_DIR
from markdown_blocks import python_blocks, run_block

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = python_blocks(README)


def test_readme_has_python_examples():
    assert BLOCKS, "README.md should show the API with at least one ```python example"


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, tmp_path, monkeypatch):
    run_block(BLOCKS[index], f"README.md block {index}", tmp_path, DATA_DIR, monkeypatch)

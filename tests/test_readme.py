"""Every ```python block in README.md runs as written (the README must not lie)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DATA_DIR

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_python_examples():
    assert BLOCKS, "README.md should show the API with at least one ```python example"


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KEEPTRACK_DATA", str(DATA_DIR))  # blocks run from tmp_path
    exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {"__name__": "__readme__"})

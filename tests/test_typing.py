"""The package type-checks: mypy (configured in pyproject.toml) finds nothing in ``src`` and
confirms, on ``tests/typing/``, that ``update`` is typed precisely for callers."""

from __future__ import annotations

import ast
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import keeptrack

ROOT = Path(__file__).resolve().parents[1]
#: Kept between runs (mypy's incremental cache): a warm check takes seconds, a cold one ~40 s.
CACHE = Path(tempfile.gettempdir()) / "keeptrack-mypy-cache"


def test_mypy_is_clean_on_src_and_reveals_update_types():
    pytest.importorskip("mypy")
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(CACHE), "src", "tests/typing"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def test_type_checkers_see_every_public_name():
    """``keeptrack.__getattr__`` loads names lazily; the ``TYPE_CHECKING`` imports that show
    them to type checkers must list exactly the same names (else they would be ``Any``)."""
    tree = ast.parse(Path(keeptrack.__file__).read_text())
    block = next(n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.dump(n))
    seen = {a.asname: f"{node.module}:{a.name}" for node in block.body for a in node.names}
    assert seen == keeptrack._EXPORTS  # the same names, from the same modules

"""The wheel ships what the packaging promises: the licence text and the ``py.typed`` marker
(so type checkers read keeptrack's annotations)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

from conftest import REPO_ROOT


def test_wheel_ships_license_and_py_typed(tmp_path):
    source = tmp_path / "source"  # a clean copy: no build/ or egg-info left in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO_ROOT / name, source / name)
    shutil.copytree(
        REPO_ROOT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (wheel,) = (tmp_path / "dist").glob("keeptrack-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "keeptrack/py.typed" in names
    licenses = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert licenses, names
    text = zipfile.ZipFile(wheel).read(licenses[0]).decode()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA")))
    assert b"License-Expression: Apache-2.0" in metadata

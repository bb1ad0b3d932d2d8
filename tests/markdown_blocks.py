"""The fenced Python blocks of a Markdown file, and how a test runs one: README.md and every
page under docs/ share this, so "the documentation runs" means one thing.

A block tagged ``python`` runs in the test suite. A block that cannot run here (it needs a GPU,
a package the dev extra cannot install, or the network) is tagged ``py`` instead -- still
highlighted as Python, visibly exempt -- and the page says why next to it. Any other
Python-looking tag is an error, so no block is skipped by a typo.
"""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

#: An opening fence (possibly indented, e.g. inside an admonition), its info string, the body
#: and the closing fence at the same indentation.
_FENCE = re.compile(r"^( *)```([^\n`]*)\n(.*?)^\1```", flags=re.S | re.M)
RUNS = "python"
DOES_NOT_RUN = "py"
_AMBIGUOUS = {"python3", "py3", "pycon", "ipython", "Python"}
#: A pymdownx.snippets include line: ``--8<-- "FILE"`` or ``--8<-- "FILE:start:end"``.
_SNIPPET = re.compile(r'^--8<-- "([^":]+)[^"]*"$', flags=re.M)


def python_blocks(path: Path) -> list[str]:
    """The source of every ``python`` block of ``path``, dedented, in page order.

    Raises:
        ValueError: For a block tagged with another Python-like language name.
    """
    blocks = []
    for _, info, body in _FENCE.findall(path.read_text()):
        language = info.split()[0] if info.split() else ""
        if language in _AMBIGUOUS:
            raise ValueError(f"{path}: tag Python blocks {RUNS!r} (runs) or {DOES_NOT_RUN!r}")
        if language == RUNS:
            blocks.append(textwrap.dedent(body))
    return blocks


def included_files(page: Path, root: Path) -> list[Path]:
    """The files ``page`` includes with pymdownx.snippets (paths relative to ``root``), whose
    blocks become part of the page."""
    return [root / name for name in _SNIPPET.findall(page.read_text())]


def run_block(source: str, name: str, workdir: Path, data_dir: Path, monkeypatch) -> None:
    """Run one block as a reader would: from an empty folder, with ``KEEPTRACK_DATA`` set."""
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("KEEPTRACK_DATA", os.fspath(data_dir))
    exec(compile(source, name, "exec"), {"__name__": "__docs__"})

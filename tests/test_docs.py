"""The documentation site: every ``python`` block of docs/ runs, and ``mkdocs build --strict``
succeeds with the generated parameter tables and benchmark numbers in place."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from conftest import DATA_DIR, REPO_ROOT
from markdown_blocks import included_files, python_blocks, run_block

from keeptrack.trackers.registry import TRACKERS, tracker_class, tracker_parameters

DOCS = REPO_ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
#: Every page, and every file a page includes (BENCHMARKS.md, CHANGELOG.md), once each.
SOURCES = sorted({*PAGES, *(f for page in PAGES for f in included_files(page, REPO_ROOT))})
BLOCKS = [
    (source.relative_to(REPO_ROOT).as_posix(), index, block)
    for source in SOURCES
    for index, block in enumerate(python_blocks(source))
]


def test_pages_include_files_that_exist():
    included = {f.name for page in PAGES for f in included_files(page, REPO_ROOT)}
    assert {"BENCHMARKS.md", "CHANGELOG.md"} <= included
    assert all(f.is_file() for page in PAGES for f in included_files(page, REPO_ROOT))


def test_every_tracker_has_a_page():
    assert {p.stem for p in (DOCS / "trackers").glob("*.md")} == {*TRACKERS, "index"}


@pytest.mark.parametrize(
    ("page", "index", "source"), BLOCKS, ids=[f"{p}#{i}" for p, i, _ in BLOCKS]
)
def test_docs_python_block_runs(page, index, source, tmp_path, monkeypatch):
    run_block(source, f"{page} block {index}", tmp_path, DATA_DIR, monkeypatch)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site as ``mkdocs build --strict`` writes it (any warning fails the build).

    Built in this process, as ``mkdocs build`` would build it, so the hooks reuse the
    keeptrack modules the other tests already imported.
    """
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    out = tmp_path_factory.mktemp("site")
    here = Path.cwd()
    os.chdir(REPO_ROOT)  # where `mkdocs build` runs; mkdocs.yml names paths from there
    try:
        build(load_config("mkdocs.yml", strict=True, site_dir=str(out)))
    finally:
        os.chdir(here)
    return out


def test_site_builds_without_unreplaced_markers(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) >= len(PAGES)
    for page in pages:
        assert "<!-- keeptrack:" not in page.read_text(), f"{page}: a generated table is missing"
    assert (site / "assets" / "hota_mot17_dancetrack.svg").read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize("name", sorted(TRACKERS))
def test_tracker_page_lists_every_parameter_with_its_default(site, name):
    html = (site / "trackers" / name / "index.html").read_text().replace("&#39;", "'")
    for param in tracker_parameters(tracker_class(name)).values():
        row = f"<code>{param.name}</code></td>\n<td><code>{param.default!r}</code>"
        assert row in html, (name, param.name)

"""MkDocs hook: benchmark numbers on the tracker pages, and a plot, read from BENCHMARKS.md.

BENCHMARKS.md is the one place measured numbers are written. A page line
``<!-- keeptrack:benchmarks NAME -->`` becomes a table of tracker ``NAME``'s rows on the MOT17
val half and dancetrack-dev (with Roboflow's and pyxtrackers' same algorithm beside it), and
``assets/hota_mot17_dancetrack.svg`` is drawn at build time from the same tables. A table that
cannot be found fails the build, so a renamed section cannot leave a page with stale numbers.
"""

from __future__ import annotations

import io
import itertools
import re
from pathlib import Path

#: The accuracy section and, per data set, the bold label above its table.
_SECTION = "## Accuracy on MOT17 and DanceTrack"
_DATASETS = {"MOT17 val half": "**MOT17 val half**", "dancetrack-dev": "**dancetrack-dev**"}
#: Trackers measured in a section of their own, whose table has one row per data set.
_OWN_SECTION = {
    "hybridsort": "### Hybrid-SORT",
    "deepocsort": "### Deep OC-SORT and BoostTrack++",
    "boosttrack": "### Deep OC-SORT and BoostTrack++",
}
#: Row prefixes of the peers in the accuracy tables.
_PEERS = {"rf-": "Roboflow trackers 2.6.1", "pyx-": "pyxtrackers 2026.3.3"}
_COLUMNS = ("HOTA", "MOTA", "IDF1", "IDSW", "AssA", "DetA")
_MARKER = re.compile(r"^<!-- keeptrack:benchmarks (\w+) -->$", flags=re.M)
PLOT = "assets/hota_mot17_dancetrack.svg"


def _after(text: str, *anchors: str) -> str:
    """The text after the first line starting with each anchor in turn."""
    for anchor in anchors:
        match = re.search(rf"^{re.escape(anchor)}.*$", text, flags=re.M)
        if match is None:
            raise ValueError(f"BENCHMARKS.md has no line starting with {anchor!r}")
        text = text[match.end() :]
    return text


def first_table(text: str) -> list[dict[str, str]]:
    """The first Markdown table of ``text`` as one dict per row, keyed by the header cells
    (bold markers removed)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), len(lines))
    block = [
        [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        for line in itertools.takewhile(lambda line: line.startswith("|"), lines[start:])
    ]
    if len(block) < 3:
        raise ValueError("expected a Markdown table")
    return [dict(zip(block[0], row, strict=True)) for row in block[2:]]


def accuracy_tables(benchmarks: str) -> dict[str, list[dict[str, str]]]:
    """Data set -> its table in the accuracy section (first column ``tracker``)."""
    return {
        name: first_table(_after(benchmarks, _SECTION, label)) for name, label in _DATASETS.items()
    }


def tracker_rows(benchmarks: str, name: str) -> list[tuple[str, str, dict[str, str]]]:
    """``(data set, who, row)`` for tracker ``name`` and its peers, on each data set.

    Raises:
        ValueError: When BENCHMARKS.md holds no row for ``name``.
    """
    if name in _OWN_SECTION:
        table = first_table(_after(benchmarks, _OWN_SECTION[name]))
        # One tracker per section, or a ``tracker`` column when a section holds several.
        rows = {row["data set"]: row for row in table if row.get("tracker", name) == name}
        found = [(dataset, "keeptrack", rows[dataset]) for dataset in _DATASETS if dataset in rows]
    else:
        found = []
        for dataset, table in accuracy_tables(benchmarks).items():
            by_name = {row["tracker"]: row for row in table}
            for prefix, who in {"": "keeptrack", **_PEERS}.items():
                if prefix + name in by_name:
                    found.append((dataset, who, by_name[prefix + name]))
    if not found:
        raise ValueError(f"BENCHMARKS.md has no MOT17 / DanceTrack rows for tracker {name!r}")
    return found


def benchmark_table(benchmarks: str, name: str) -> str:
    """The Markdown table of :func:`tracker_rows`."""
    lines = [
        "| data set | tracker | " + " | ".join(_COLUMNS) + " |",
        "|---|---|" + "---|" * len(_COLUMNS),
    ]
    for dataset, who, row in tracker_rows(benchmarks, name):
        lines.append(f"| {dataset} | {who} | " + " | ".join(row[c] for c in _COLUMNS) + " |")
    return "\n".join(lines)


def hota_points(benchmarks: str) -> dict[str, tuple[float, float]]:
    """Tracker -> (HOTA on the MOT17 val half, HOTA on dancetrack-dev), every row that has
    both, keeptrack's own section-measured trackers included."""
    tables = accuracy_tables(benchmarks)
    hota = [{row["tracker"]: float(row["HOTA"]) for row in t} for t in tables.values()]
    points = {name: (hota[0][name], hota[1][name]) for name in hota[0] if name in hota[1]}
    for name in _OWN_SECTION:
        rows = {d: r for d, _, r in tracker_rows(benchmarks, name)}
        points[name] = tuple(float(rows[d]["HOTA"]) for d in _DATASETS)
    return points


def hota_plot(benchmarks: str) -> bytes:
    """An SVG scatter of :func:`hota_points`: keeptrack's trackers against the peers'."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "keeptrack"  # same bytes on every build
    figure, axes = plt.subplots(figsize=(6.4, 4.4))
    for name, (x, y) in sorted(hota_points(benchmarks).items()):
        peer = next((who for prefix, who in _PEERS.items() if name.startswith(prefix)), None)
        axes.scatter(
            x,
            y,
            marker="o" if peer is None else "x",
            color="tab:blue" if peer is None else "tab:gray",
        )
        axes.annotate(name, (x, y), textcoords="offset points", xytext=(4, 3), fontsize=7)
    axes.set_xlabel("HOTA, MOT17 val half")
    axes.set_ylabel("HOTA, dancetrack-dev")
    axes.set_title("keeptrack (dots) and peers (crosses), motion only, defaults")
    axes.grid(alpha=0.3)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    return buffer.getvalue()


def _benchmarks_text(config) -> str:
    return (Path(config["config_file_path"]).parent / "BENCHMARKS.md").read_text()


def on_files(files, config):
    """Add the plot to the site's files, drawn from BENCHMARKS.md."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PLOT, content=hota_plot(_benchmarks_text(config))))
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace every benchmark marker of the page with the tracker's table."""
    text = _benchmarks_text(config)
    return _MARKER.sub(lambda match: benchmark_table(text, match.group(1)), markdown)

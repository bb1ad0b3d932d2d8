"""MkDocs hook: each tracker page's parameter table, generated from the code.

A page line ``<!-- keeptrack:parameters NAME -->`` becomes a table of tracker ``NAME``'s
constructor parameters: the default from its signature, the paper's / reference code's name
from the mapping table in its module docstring, and the help text from its ``Args:`` section
(:func:`keeptrack.trackers.registry.tracker_parameters`, the introspection the command line
uses). Nothing is copied by hand, so the page cannot drift from the code.
"""

from __future__ import annotations

import inspect
import re
import sys

from rst_roles import plain_roles  # a sibling hook module (mkdocs puts hooks/ on the path)

from keeptrack.trackers.registry import TRACKERS, tracker_class, tracker_parameters

_MARKER = re.compile(r"^<!-- keeptrack:parameters (\w+) -->$", flags=re.M)
_RULE = re.compile(r"^=+(?: +=+)+ *$")


def _cells(line: str, spans: list[tuple[int, int | None]]) -> list[str]:
    return [line[start:stop].strip() for start, stop in spans]


def paper_names(module_doc: str) -> dict[str, str]:
    """keeptrack name -> the paper's / reference's name, from the first RST simple table of a
    tracker's module docstring.

    The table's first column is the keeptrack name and its second the paper's or reference
    code's; a column headed ``paper`` (the paper's default, where it differs from the
    reference's name column) is appended as ``(paper: value)``. Rows whose first column is
    blank continue the row above.
    """
    lines = module_doc.splitlines()
    rules = [i for i, line in enumerate(lines) if _RULE.match(line)]
    if len(rules) < 3:
        return {}
    starts = [m.start() for m in re.finditer(r"=+", lines[rules[0]])]
    spans = list(zip(starts, [*starts[1:], None], strict=True))
    header = _cells(" ".join(lines[rules[0] + 1 : rules[1]]), spans)
    paper_column = header.index("paper") if "paper" in header[2:] else None
    names: dict[str, str] = {}
    current = None
    for line in lines[rules[1] + 1 : rules[2]]:
        cells = _cells(line, spans)
        if cells[0]:
            current = cells[0].strip("`")
            names[current] = cells[1]
            if paper_column is not None and cells[paper_column] not in ("", "-"):
                names[current] += f" (paper: {cells[paper_column]})"
        elif current is not None and cells[1]:
            names[current] += " " + cells[1]
    return names


def _code(text: str) -> str:
    """Docstring text as a Markdown table cell: RST literals and Sphinx roles as code spans."""
    return plain_roles(text).replace("``", "`").replace("|", "\\|")


def parameter_table(name: str) -> str:
    """The Markdown table of tracker ``name``'s parameters.

    Raises:
        ValueError: For a name the registry does not know.
    """
    cls = tracker_class(name)
    paper = paper_names(inspect.getdoc(sys.modules[cls.__module__]) or "")
    rows = ["| parameter | default | paper / reference | meaning |", "|---|---|---|---|"]
    for param in tracker_parameters(cls).values():
        default = "required" if param.default is inspect.Parameter.empty else repr(param.default)
        rows.append(
            f"| `{param.name}` | `{default}` | {_code(paper.get(param.name, ''))} "
            f"| {_code(param.help)} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Replace every parameter marker of the page with its table."""

    def table(match: re.Match) -> str:
        if match.group(1) not in TRACKERS:
            raise ValueError(f"{page.file.src_path}: no tracker {match.group(1)!r} in the registry")
        return parameter_table(match.group(1))

    return _MARKER.sub(table, markdown)


__all__ = ["on_page_markdown", "paper_names", "parameter_table"]

"""Docstring text for a terminal.

Docstrings are written for Sphinx/mkdocs: hard-wrapped at the source's line length, with reST
markup (````x````, ``:class:`~pkg.Name```). A terminal wraps text itself, to its own width, so
help texts built from docstrings (command help, ``--list-params``, ``--list-space``) pass
through :func:`terminal_text` first: paragraphs become single lines and markup becomes the
plain words it stands for.
"""

from __future__ import annotations

import inspect
import re

#: ``:role:`target``` (Sphinx cross-references); ``~`` keeps only the last dotted name.
_ROLE = re.compile(r":[a-z]+(?::[a-z]+)?:`(~?)([^`]+)`")
#: ````literal```` (reST inline literals) and ```interpreted``` text.
_LITERAL = re.compile(r"``(.+?)``|`([^`]+)`")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return target.rsplit(".", 1)[-1] if tilde else target


def terminal_text(doc: str | None) -> str:
    """``doc`` as a terminal should print it.

    Each paragraph (text between blank lines) becomes one line, so the terminal's own wrapping
    never breaks a sentence where the source file did; cross-references become their target's
    name (``:class:`~keeptrack.motion.cmc.CameraMotion``` -> ``CameraMotion``) and inline
    literals lose their backticks. Paragraphs stay separated by one blank line.
    """
    if not doc:
        return ""
    text = _LITERAL.sub(lambda m: m.group(1) or m.group(2), _ROLE.sub(_role, inspect.cleandoc(doc)))
    paragraphs = re.split(r"\n\s*\n", text)
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)

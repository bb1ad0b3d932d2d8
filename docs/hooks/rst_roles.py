"""Griffe extension: Sphinx roles in keeptrack's docstrings as Markdown code spans.

The docstrings are Google style (which mkdocstrings parses) but name other objects with Sphinx
roles (``:class:`~keeptrack.motion.cmc.CameraMotion```), which Markdown would print verbatim.
Each role becomes a code span of the name a reader would see (``CameraMotion``); the docstrings
themselves stay as they are, since they also serve ``help()`` and the command line.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

#: A role; its target may be wrapped onto the next docstring line.
_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj):`(~?)([\w.\s]+?)`")


def _plain(match: re.Match) -> str:
    short, target = match.group(1), re.sub(r"\s+", "", match.group(2))
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


def plain_roles(text: str) -> str:
    """``text`` with every Sphinx role written as a code span."""
    return _ROLE.sub(_plain, text)


class SphinxRoles(Extension):
    """Rewrite roles in every docstring once the object tree is loaded."""

    def on_object(self, *, obj: Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = plain_roles(obj.docstring.value)

"""Former home of camera motion compensation, now the :mod:`keeptrack.motion.camera` package.

Kept so that ``from keeptrack.motion.cmc import ...`` goes on working; names resolve lazily, as
they do in the package.
"""

from __future__ import annotations

from typing import Any

from keeptrack.motion import camera
from keeptrack.motion.camera import __all__  # noqa: F401  (the same public names)


def __getattr__(name: str) -> Any:
    return getattr(camera, name)

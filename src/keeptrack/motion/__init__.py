"""Motion models: batched Kalman filters (:mod:`.kalman`) and camera motion (:mod:`.camera`).

The filters load on first use, so naming :mod:`keeptrack.motion.camera` (``keeptrack eval``,
``keeptrack --help``) does not compile-load Numba or import SciPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["KalmanXYAH", "KalmanXYSR", "KalmanXYWH"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(f"{__name__}.kalman"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

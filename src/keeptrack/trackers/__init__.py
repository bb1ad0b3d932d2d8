"""Tracking algorithms, one module each, all sharing :class:`BaseTracker`'s contract.

Tracker classes load on first use, from the registry (:mod:`keeptrack.trackers.registry`).
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    import keeptrack

    if name in keeptrack.__all__ and name not in ("DetectionArrays", "to_detection_arrays"):
        return getattr(keeptrack, name)
    raise AttributeError(f"module 'keeptrack.trackers' has no attribute {name!r}")

"""keeptrack: fast, faithful multi-object tracking with TrackEval-exact metrics.

Every public name loads on first use (PEP 562), so ``import keeptrack`` costs about what
``import numpy`` costs; the trackers come from the registry (:mod:`keeptrack.trackers.registry`),
the one list of them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from keeptrack.trackers.registry import TRACKERS

if TYPE_CHECKING:  # what __getattr__ loads, spelt out for type checkers (tests check both agree)
    from keeptrack.appearance import DeepSORTFeatureExtractor as DeepSORTFeatureExtractor
    from keeptrack.appearance import ReIDModel as ReIDModel
    from keeptrack.detections import DetectionArrays as DetectionArrays
    from keeptrack.detections import to_detection_arrays as to_detection_arrays
    from keeptrack.motion.cmc import CMC as CMC
    from keeptrack.motion.cmc import BoxMotion as BoxMotion
    from keeptrack.motion.cmc import PrecomputedWarps as PrecomputedWarps
    from keeptrack.trackers.base import BaseTracker as BaseTracker
    from keeptrack.trackers.boosttrack import BoostTrackTracker as BoostTrackTracker
    from keeptrack.trackers.botsort import BoTSORTTracker as BoTSORTTracker
    from keeptrack.trackers.bytetrack import ByteTrackTracker as ByteTrackTracker
    from keeptrack.trackers.deepocsort import DeepOCSORTTracker as DeepOCSORTTracker
    from keeptrack.trackers.deepsort import DeepSORTTracker as DeepSORTTracker
    from keeptrack.trackers.hybridsort import HybridSORTTracker as HybridSORTTracker
    from keeptrack.trackers.ocsort import OCSORTTracker as OCSORTTracker
    from keeptrack.trackers.sort import SORTTracker as SORTTracker
    from keeptrack.trackers.tracks import TrackState as TrackState
    from keeptrack.trackers.tracks import TrackView as TrackView

__version__ = "0.1.0"

#: Public name -> "module:attribute", besides the trackers of the registry.
_EXPORTS = {
    "BaseTracker": "keeptrack.trackers.base:BaseTracker",
    "BoxMotion": "keeptrack.motion.cmc:BoxMotion",
    "CMC": "keeptrack.motion.cmc:CMC",
    "DeepSORTFeatureExtractor": "keeptrack.appearance:DeepSORTFeatureExtractor",
    "DetectionArrays": "keeptrack.detections:DetectionArrays",
    "PrecomputedWarps": "keeptrack.motion.cmc:PrecomputedWarps",
    "ReIDModel": "keeptrack.appearance:ReIDModel",
    "TrackState": "keeptrack.trackers.tracks:TrackState",
    "TrackView": "keeptrack.trackers.tracks:TrackView",
    "to_detection_arrays": "keeptrack.detections:to_detection_arrays",
}
_EXPORTS.update({target.split(":")[1]: target for target in TRACKERS.values()})

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'keeptrack' has no attribute {name!r}")
    module, attribute = _EXPORTS[name].split(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))

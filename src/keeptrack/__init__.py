"""keeptrack: fast, faithful multi-object tracking with TrackEval-exact metrics."""

from keeptrack.appearance import DeepSORTFeatureExtractor, ReIDModel
from keeptrack.detections import DetectionArrays, to_detection_arrays
from keeptrack.motion.cmc import CMC, BoxMotion, PrecomputedWarps
from keeptrack.trackers import (
    BaseTracker,
    ByteTrackTracker,
    SORTTracker,
    TrackState,
    TrackView,
)
from keeptrack.trackers.botsort import BoTSORTTracker
from keeptrack.trackers.deepsort import DeepSORTTracker
from keeptrack.trackers.ocsort import OCSORTTracker

__version__ = "0.1.0"

__all__ = [
    "BaseTracker",
    "BoTSORTTracker",
    "BoxMotion",
    "ByteTrackTracker",
    "CMC",
    "DeepSORTFeatureExtractor",
    "DeepSORTTracker",
    "DetectionArrays",
    "OCSORTTracker",
    "PrecomputedWarps",
    "ReIDModel",
    "SORTTracker",
    "TrackState",
    "TrackView",
    "to_detection_arrays",
]

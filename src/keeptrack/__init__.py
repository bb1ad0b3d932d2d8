"""keeptrack: fast, faithful multi-object tracking with TrackEval-exact metrics."""

from keeptrack.appearance import DeepSORTFeatureExtractor, ReIDModel
from keeptrack.detections import DetectionArrays, to_detection_arrays
from keeptrack.trackers import (
    BaseTracker,
    ByteTrackTracker,
    SORTTracker,
    TrackState,
    TrackView,
)
from keeptrack.trackers.deepsort import DeepSORTTracker

__version__ = "0.1.0"

__all__ = [
    "BaseTracker",
    "ByteTrackTracker",
    "DeepSORTFeatureExtractor",
    "DeepSORTTracker",
    "DetectionArrays",
    "ReIDModel",
    "SORTTracker",
    "TrackState",
    "TrackView",
    "to_detection_arrays",
]

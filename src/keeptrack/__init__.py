"""keeptrack: fast, faithful multi-object tracking with TrackEval-exact metrics."""

from keeptrack.detections import DetectionArrays, to_detection_arrays
from keeptrack.trackers import (
    BaseTracker,
    ByteTrackTracker,
    SORTTracker,
    TrackState,
    TrackView,
)

__version__ = "0.1.0"

__all__ = [
    "BaseTracker",
    "ByteTrackTracker",
    "DetectionArrays",
    "SORTTracker",
    "TrackState",
    "TrackView",
    "to_detection_arrays",
]

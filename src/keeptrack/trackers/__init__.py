"""Tracking algorithms, one module each, all sharing :class:`BaseTracker`'s contract."""

from keeptrack.trackers.base import BaseTracker
from keeptrack.trackers.bytetrack import ByteTrackTracker
from keeptrack.trackers.sort import SORTTracker
from keeptrack.trackers.tracks import TrackState, TrackView

__all__ = ["BaseTracker", "ByteTrackTracker", "SORTTracker", "TrackState", "TrackView"]

"""Checked by mypy (tests/test_typing.py), never run: ``update`` tells callers what comes back.

``supervision.Detections`` in, ``supervision.Detections`` out; arrays, nested lists and
``None`` in, a NumPy array out -- for the base class and for the trackers that redefine
``update`` (ByteTrack and DeepSORT, which take ``embeddings=``).
"""

from __future__ import annotations

import numpy as np
import supervision as sv
from typing_extensions import assert_type

from keeptrack import BoTSORTTracker, ByteTrackTracker, DeepSORTTracker, SORTTracker
from keeptrack.trackers.base import BaseTracker
from keeptrack.trackers.registry import create_tracker

detections = sv.Detections(xyxy=np.array([[0.0, 0.0, 10.0, 10.0]]))
array = np.array([[0.0, 0.0, 10.0, 10.0, 0.9]])
frame = np.zeros((20, 20, 3), dtype=np.uint8)

sort = SORTTracker(return_unmatched=True)
assert_type(sort.update(detections), sv.Detections)
assert_type(sort.update(array, frame, 0.5), np.ndarray)
assert_type(sort.update([[0.0, 0.0, 10.0, 10.0]]), np.ndarray)
assert_type(sort.update(None), np.ndarray)

bytetrack = ByteTrackTracker()
assert_type(bytetrack.update(detections, frame=frame), sv.Detections)
assert_type(bytetrack.update(array, embeddings=None, on_invalid="drop"), np.ndarray)
assert_type(BoTSORTTracker().update(detections), sv.Detections)

deepsort = DeepSORTTracker(reid_model="precomputed")
assert_type(deepsort.update(detections, embeddings=np.ones((1, 8))), sv.Detections)
assert_type(deepsort.update(array, embeddings=np.ones((1, 8))), np.ndarray)

tracker: BaseTracker = create_tracker("ocsort")
assert_type(tracker.update(detections), sv.Detections)
assert_type(tracker.update(array, box_format="xywhr"), np.ndarray)

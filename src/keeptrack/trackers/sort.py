"""SORT: Simple Online and Realtime Tracking (Bewley et al., ICIP 2016).

Each frame: predict every track with a constant-velocity Kalman filter on ``[cx, cy, area,
ratio]``; match predictions to the detections scoring at least ``track_activation_threshold``
(SORT has no use for weak boxes) by optimal assignment on IoU distance, refusing pairs below
``minimum_iou_threshold``; correct matched tracks, start a tentative track for every unmatched
detection, and delete tracks unseen for longer than ``max_age``. A tentative track is confirmed
(and gets its id) once matched in ``min_hits`` consecutive frames, or at once during the first
``min_hits`` frames of the stream as in the reference implementation; a tentative track that
misses a frame is dropped. A confirmed track is reported in every frame in which it is matched.

Parameter names follow Roboflow ``trackers``; the paper's names map as:

=============================  ===========================================================
keeptrack                      SORT paper / reference code
=============================  ===========================================================
``lost_track_buffer``          ``max_age`` (frames at 30 fps; scaled by ``frame_rate / 30``)
``minimum_consecutive_frames`` ``min_hits``
``minimum_iou_threshold``      ``iou_threshold`` (``IOU_min``)
``track_activation_threshold`` the detector score threshold applied before SORT
=============================  ===========================================================

The reference uses ``max_age=1``; the default here (30) keeps tracks through short occlusions
and scores higher on MOT17, matching Roboflow's default. The default score threshold (0.25)
suits detectors that already drop weak boxes; with unfiltered detections such as the MOT17
YOLOX files (scores down to 0.01) use about 0.6, as the benchmark does.
"""

from __future__ import annotations

import numpy as np

from keeptrack.association import iou_distance, linear_assignment
from keeptrack.detections import DetectionArrays
from keeptrack.motion.cmc import CameraMotion
from keeptrack.motion.kalman import KalmanXYSR
from keeptrack.trackers.base import BaseTracker, frames_from_buffer
from keeptrack.trackers.sort_kernel import sort_step
from keeptrack.trackers.tracks import LOST, TENTATIVE


class SORTTracker(BaseTracker):
    """SORT with a batched Kalman filter.

    Args:
        lost_track_buffer: Frames (at 30 fps) a track survives without a match (paper:
            ``max_age``).
        frame_rate: Frame rate of the stream; scales ``lost_track_buffer``.
        track_activation_threshold: Detections scoring below this are ignored.
        minimum_consecutive_frames: Consecutive matches before a track is reported (paper:
            ``min_hits``).
        minimum_iou_threshold: Smallest IoU an accepted match may have (paper: ``IOU_min``).
        class_aware: Only match detections to tracks of the same class.
        cmc: Camera motion compensation: ``None``, a method name (``"sparse_flow"``, ``"orb"``,
            ``"sift"``, ``"ecc"``; ``"boxes"`` works without frames) or a
            :class:`~keeptrack.motion.cmc.CameraMotion` object.
    """

    def __init__(
        self,
        lost_track_buffer: int = 30,
        frame_rate: float = 30.0,
        track_activation_threshold: float = 0.25,
        minimum_consecutive_frames: int = 3,
        minimum_iou_threshold: float = 0.3,
        class_aware: bool = False,
        cmc: str | CameraMotion | None = None,
    ) -> None:
        self._store_lifecycle_params(
            lost_track_buffer,
            track_activation_threshold,
            minimum_consecutive_frames,
            minimum_iou_threshold,
        )
        self.kalman = KalmanXYSR()
        self._noise_std = self.kalman.constant_std()
        super().__init__(frame_rate, class_aware=class_aware, cmc=cmc)
        self.max_age = frames_from_buffer(self.lost_track_buffer, self.frame_rate)

    def _max_skipped_frames(self) -> int:
        return self.max_age + 1

    #: Whether axis-aligned frames run as one compiled call
    #: (:mod:`keeptrack.trackers.sort_kernel`); the step below is the same algorithm and serves
    #: oriented boxes (tests switch this off to compare the two).
    _use_kernel = True

    def _step(self, detections: DetectionArrays, frame: np.ndarray | None):
        if self._use_kernel and not self._oriented:
            return self._compiled_step(detections)
        t = self._table
        t["mean"], t["cov"] = self.kalman.predict(t["mean"], t["cov"])

        usable = np.flatnonzero(detections.confidence >= self.track_activation_threshold)
        boxes = self._detection_boxes(detections)[usable]
        iou_cost = self._class_gate(
            iou_distance(self._predicted_boxes(), boxes), slice(None), detections, usable
        )
        matches, _, unmatched = linear_assignment(iou_cost, 1.0 - self.minimum_iou_threshold)
        self._correct(matches[:, 0], detections, usable[matches[:, 1]])
        self._new_tracks(detections, usable[unmatched])

        matched_now = t["last_frame"] == self.frame_id
        tentative = t["state"] == TENTATIVE
        warm_up = self.frame_id <= self.minimum_consecutive_frames
        ready = matched_now & (
            ~tentative | (t["hits"] >= self.minimum_consecutive_frames) | warm_up
        )
        self._confirm(np.flatnonzero(ready))
        t["state"][~matched_now & ~tentative] = LOST
        reported = self._matched_now(np.flatnonzero(ready))

        alive = (self.frame_id - t["last_frame"] <= self.max_age) & (matched_now | ~tentative)
        t.keep(alive)
        return reported

    def _compiled_step(self, detections: DetectionArrays) -> tuple[np.ndarray, np.ndarray]:
        return self._run_compiled_step(
            sort_step,
            detections,
            *self._noise_std,
            float(self.track_activation_threshold),
            float(1.0 - self.minimum_iou_threshold),
            bool(self.class_aware),
            int(self.minimum_consecutive_frames),
            int(self.max_age),
        )

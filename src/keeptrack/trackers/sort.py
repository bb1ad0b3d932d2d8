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
from numba import njit

from keeptrack.association.assignment import assign
from keeptrack.detections import DetectionArrays
from keeptrack.motion.cmc import CameraMotion
from keeptrack.motion.kalman import KalmanXYSR
from keeptrack.stages.boxes import SCORE, XYSR, detection_boxes, iou_matrix, track_boxes
from keeptrack.stages.costs import pair_costs
from keeptrack.stages.kalman import correct, predict_tracks
from keeptrack.stages.lifecycle import compact, confirm, start_tracks, unmatched
from keeptrack.trackers.base import BaseTracker, frames_from_buffer
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
        return_unmatched: Return every detection, not only the tracked ones: rows no
            confirmed track owns get ``tracker_id`` -1 (Roboflow ``trackers``' convention).
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
        return_unmatched: bool = False,
    ) -> None:
        self._store_lifecycle_params(
            lost_track_buffer,
            track_activation_threshold,
            minimum_consecutive_frames,
            minimum_iou_threshold,
        )
        self.kalman = KalmanXYSR()
        super().__init__(
            frame_rate, class_aware=class_aware, cmc=cmc, return_unmatched=return_unmatched
        )
        self.max_age = frames_from_buffer(self.lost_track_buffer, self.frame_rate)

    def _max_skipped_frames(self) -> int:
        return self.max_age + 1

    def _step(self, detections: DetectionArrays, frame: np.ndarray | None):
        return self._run_step(
            sort_step,
            detections,
            self.kalman.noise,
            float(self.track_activation_threshold),
            float(1.0 - self.minimum_iou_threshold),
            bool(self.class_aware),
            int(self.minimum_consecutive_frames),
            int(self.max_age),
        )


@njit(cache=True)
def sort_step(
    columns,
    n,
    det,
    frame_id,
    next_id,
    oriented,
    noise,
    activation_threshold,
    limit,
    class_aware,
    minimum_consecutive_frames,
    max_age,
):
    """One SORT frame, in place (arguments as :meth:`BaseTracker._run_step` passes them;
    ``limit`` is ``1 - minimum_iou_threshold``)."""
    track_id, state, mean, cov, _, class_id, _, last_frame, hits, det_index = columns[:10]
    angle, angle_cov = columns[10], columns[11]
    rows = np.arange(n)
    predict_tracks(mean, cov, angle, angle_cov, rows, XYSR, noise, oriented)

    # Match the boxes scoring enough on IoU distance.
    usable = np.flatnonzero(det[:, SCORE] >= activation_threshold)
    iou = iou_matrix(
        track_boxes(mean, angle, n, XYSR, oriented), detection_boxes(det, usable, oriented)
    )
    cost = pair_costs(iou, rows, np.arange(len(usable)), det, usable, False, class_aware, class_id)
    match = assign(cost, limit)
    matched, dets = rows[match >= 0], usable[match[match >= 0]]
    correct(columns, matched, dets, det, XYSR, noise, frame_id, oriented)

    # Every unmatched box starts a tentative track.
    spawn = usable[unmatched(match, len(usable))]
    start_tracks(columns, n, spawn, det, XYSR, noise, frame_id)
    n += len(spawn)

    # Confirm after min_hits matches (at once in the first frames); lose the rest; delete.
    matched_now = last_frame[:n] == frame_id
    tentative = state[:n] == TENTATIVE
    warm_up = frame_id <= minimum_consecutive_frames
    ready = np.flatnonzero(
        matched_now & (~tentative | (hits[:n] >= minimum_consecutive_frames) | warm_up)
    )
    next_id = confirm(ready, state, track_id, next_id)
    for r in range(n):
        if not matched_now[r] and not tentative[r]:
            state[r] = LOST
    reported_det, reported_id = det_index[ready], track_id[ready]
    alive = (frame_id - last_frame[:n] <= max_age) & (matched_now | ~tentative)
    n = compact(columns, ~alive)
    return n, next_id, reported_det, reported_id

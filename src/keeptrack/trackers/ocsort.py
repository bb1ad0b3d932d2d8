"""OC-SORT: observation-centric SORT (Cao et al., CVPR 2023).

SORT's Kalman filter trusts its own extrapolation while an object is unseen; the error grows
with the gap and the track is often not re-found. OC-SORT keeps SORT's filter on ``[cx, cy,
area, ratio]`` but leans on *observations*:

- **OCM** (observation-centric momentum): the first association adds to IoU a bonus for
  detections lying in the direction the track has been moving, measured between real
  observations ``delta_t`` frames apart (robust to noise) and weighted by ``inertia`` and by
  the detection's score.
- **ORU** (observation-centric re-update): when a lost track is matched again, its filter is
  rewound to the last observation and re-run along a straight virtual trajectory between the
  two observations, so the velocity learnt during the gap is not the drift of pure prediction.
- **OCR** (observation-centric recovery): tracks and detections left over are matched once more
  on IoU with each track's *last observation* instead of its prediction, which recovers
  objects that stopped or were briefly occluded.
- **BYTE** (optional, ``use_byte``): before OCR, unmatched tracks may take low-score boxes, as
  in ByteTrack.

Each frame: predict; OCM association of high-score boxes; optional BYTE; OCR; correct matched
tracks (ORU for those coming back); start tentative tracks from the remaining high-score boxes;
delete tracks unseen for more than ``lost_track_buffer`` frames (at 30 fps). A track is
reported once matched in ``minimum_consecutive_frames`` consecutive frames (or at once in the
first frames of a stream), and from then on whenever it is matched.

Paper / reference defaults and this implementation's:

==============================  ====================  ==========  ============================
keeptrack                       reference             paper       default here
==============================  ====================  ==========  ============================
``high_conf_det_threshold``     ``det_thresh``        0.6         0.6
``minimum_iou_threshold``       ``iou_threshold``     0.3         0.2
``delta_t``                     ``delta_t``           3           1
``inertia``                     ``inertia``           0.2         0.2
``lost_track_buffer``           ``max_age``           30          30
``minimum_consecutive_frames``  ``min_hits``          3           3
``use_byte``                    ``use_byte``          False       False
``low_conf_det_threshold``      (fixed)               0.1         0.1
==============================  ====================  ==========  ============================

The two changed defaults were tuned on MOT17 val half (YOLOX-X detections, see BENCHMARKS.md):
``delta_t=1`` (+0.3 HOTA there; with these detections the previous frame's observation is a
reliable direction origin) and ``minimum_iou_threshold=0.2`` (+0.15). Pass ``delta_t=3,
minimum_iou_threshold=0.3`` for the paper's setting. Two choices differ from the reference
code: a track that was confirmed once is reported again as soon as it is re-matched
(the reference waits for ``min_hits`` new consecutive matches), and the birth detection counts
as an observation, so the direction term is available one frame earlier.

Axis-aligned frames run as one compiled call (:mod:`keeptrack.trackers.ocsort_kernel`); the
NumPy ``_step`` below is the same algorithm, bit for bit, and serves oriented boxes.
"""

from __future__ import annotations

import numpy as np

from keeptrack.association import iou_distance, linear_assignment
from keeptrack.association.direction import direction_consistency, unit_direction
from keeptrack.detections import DetectionArrays
from keeptrack.geometry import align_xywhr, xywh_to_xyxy, xyxy_to_xywh
from keeptrack.motion.cmc import CameraMotion
from keeptrack.motion.kalman import KalmanXYSR
from keeptrack.trackers.base import BaseTracker, frames_from_buffer
from keeptrack.trackers.ocsort_kernel import OCSORT_COLUMNS, ocsort_step
from keeptrack.trackers.tracks import TrackState
from keeptrack.validation import check_range

_TENTATIVE, _TRACKED, _LOST = (int(s) for s in TrackState)


class OCSORTTracker(BaseTracker):
    """OC-SORT with batched Kalman filtering and vectorised OCM / ORU / OCR.

    Args:
        lost_track_buffer: Frames (at 30 fps) a track survives without a match (reference:
            ``max_age``).
        frame_rate: Frame rate of the stream; scales ``lost_track_buffer``.
        minimum_consecutive_frames: Consecutive matches before a new track is reported
            (reference: ``min_hits``).
        minimum_iou_threshold: Smallest IoU an accepted match may have, in every stage
            (reference: ``iou_threshold``).
        high_conf_det_threshold: Detections scoring above this are matched first and may start
            tracks (reference: ``det_thresh``).
        delta_t: Frames between the two observations that define a track's direction.
        inertia: Weight of the direction-consistency (OCM) term against IoU.
        use_byte: Also match leftover tracks to low-score boxes (ByteTrack's second stage).
        low_conf_det_threshold: With ``use_byte``, boxes at or below this score are ignored.
        class_aware: Only match detections to tracks of the same class.
        cmc: Camera motion compensation: ``None``, a method name (``"sparse_flow"``, ``"orb"``,
            ``"sift"``, ``"ecc"``; ``"boxes"`` works without frames) or a
            :class:`~keeptrack.motion.cmc.CameraMotion` object.
    """

    def __init__(
        self,
        lost_track_buffer: int = 30,
        frame_rate: float = 30.0,
        minimum_consecutive_frames: int = 3,
        minimum_iou_threshold: float = 0.2,
        high_conf_det_threshold: float = 0.6,
        delta_t: int = 1,
        inertia: float = 0.2,
        use_byte: bool = False,
        low_conf_det_threshold: float = 0.1,
        class_aware: bool = False,
        cmc: str | CameraMotion | None = None,
    ) -> None:
        self.lost_track_buffer = int(check_range("lost_track_buffer", lost_track_buffer, 0))
        self.minimum_consecutive_frames = int(
            check_range("minimum_consecutive_frames", minimum_consecutive_frames, 1)
        )
        self.minimum_iou_threshold = check_range(
            "minimum_iou_threshold", minimum_iou_threshold, 0, 1
        )
        self.high_conf_det_threshold = check_range(
            "high_conf_det_threshold", high_conf_det_threshold, 0, 1
        )
        self.delta_t = int(check_range("delta_t", delta_t, 1))
        self.inertia = check_range("inertia", inertia, 0)
        self.use_byte = bool(use_byte)
        self.low_conf_det_threshold = check_range(
            "low_conf_det_threshold", low_conf_det_threshold, 0, self.high_conf_det_threshold
        )
        self.kalman = KalmanXYSR()
        self._noise_std = self.kalman.constant_std()
        super().__init__(frame_rate, class_aware=class_aware, cmc=cmc)
        self.max_age = frames_from_buffer(self.lost_track_buffer, self.frame_rate)

    def _max_skipped_frames(self) -> int:
        return self.max_age + 1

    def _extra_columns(self) -> dict[str, tuple[tuple[int, ...], type]]:
        d = self.kalman.ndim_state
        return {
            # Last observation as [cx, cy, w, h, angle] and the filter state right after it
            # (ORU rewinds to this state).
            "obs": ((5,), np.float64),
            "obs_mean": ((d,), np.float64),
            "obs_cov": ((d, d), np.float64),
            # Centres of the observations of the last ``delta_t`` frames, slot = frame % delta_t.
            "history": ((self.delta_t, 2), np.float64),
            "history_frame": ((self.delta_t,), np.int64),
            "direction": ((2,), np.float64),
            "streak": ((), np.int64),
        }

    # --- one frame ------------------------------------------------------------------------
    #: Whether axis-aligned frames run as one compiled call
    #: (:mod:`keeptrack.trackers.ocsort_kernel`); the step below is the same algorithm and
    #: serves oriented boxes (tests switch this off to compare the two).
    _use_kernel = True

    def _step(self, detections: DetectionArrays, frame: np.ndarray | None):
        if self._use_kernel and not self._oriented:
            return self._compiled_step(detections)
        t = self._table
        t["mean"], t["cov"] = self.kalman.predict(t["mean"], t["cov"])
        scores = detections.confidence
        high = np.flatnonzero(scores > self.high_conf_det_threshold)
        det_boxes = self._detection_boxes(detections)
        tracks = np.arange(len(t))
        predicted = self._predicted_boxes()
        gate = 1.0 - self.minimum_iou_threshold

        # 1. OCM: IoU plus direction consistency, on predicted boxes.
        cost = self._class_gate(iou_distance(predicted, det_boxes[high]), tracks, detections, high)
        centres = _centres(det_boxes[high])
        bonus = direction_consistency(t["direction"], self._origins(), centres)
        ocm = np.where(cost <= gate, cost - self.inertia * bonus * scores[high][None, :], np.inf)
        # Every pair passing the IoU gate is acceptable; the bonus only re-ranks them.
        m1, tracks_left, high_left = linear_assignment(ocm, gate + self.inertia)
        matched_tracks, matched_dets = [m1[:, 0]], [high[m1[:, 1]]]

        # 2. BYTE: leftover tracks against low-score boxes, on predicted boxes.
        if self.use_byte:
            low = np.flatnonzero(
                (scores > self.low_conf_det_threshold) & (scores <= self.high_conf_det_threshold)
            )
            rows = tracks_left
            cost = self._class_gate(
                iou_distance(predicted[rows], det_boxes[low]), rows, detections, low
            )
            m2, rows_left, _ = linear_assignment(cost, gate)
            matched_tracks.append(rows[m2[:, 0]])
            matched_dets.append(low[m2[:, 1]])
            tracks_left = rows[rows_left]
        else:
            tracks_left = tracks[tracks_left]

        # 3. OCR: leftovers against each track's last observation.
        dets_left = high[high_left]
        cost = self._class_gate(
            iou_distance(self._observed_boxes(tracks_left), det_boxes[dets_left]),
            tracks_left,
            detections,
            dets_left,
        )
        m3, _, new_left = linear_assignment(cost, gate)
        matched_tracks.append(tracks_left[m3[:, 0]])
        matched_dets.append(dets_left[m3[:, 1]])

        rows, dets = np.concatenate(matched_tracks), np.concatenate(matched_dets)
        self._observe(rows, detections, dets)
        self._spawn(detections, dets_left[new_left])
        return self._finish_frame()

    def _compiled_step(self, detections: DetectionArrays) -> tuple[np.ndarray, np.ndarray]:
        gate = 1.0 - self.minimum_iou_threshold
        return self._run_compiled_step(
            ocsort_step,
            detections,
            *self._noise_std,
            float(self.high_conf_det_threshold),
            float(self.low_conf_det_threshold),
            float(gate),
            float(gate + self.inertia),
            float(self.inertia),
            int(self.delta_t),
            bool(self.use_byte),
            bool(self.class_aware),
            int(self.minimum_consecutive_frames),
            int(self.max_age),
            extra_columns=OCSORT_COLUMNS,
        )

    # --- pieces ---------------------------------------------------------------------------
    def _origins(self) -> np.ndarray:
        """Centre of each track's observation about ``delta_t`` frames ago (OCM's origin).

        The oldest observation within the last ``delta_t`` frames, else the latest one.
        """
        t = self._table
        origin = t["obs"][:, :2].copy()
        found = np.zeros(len(t), dtype=bool)
        for dt in range(self.delta_t, 0, -1):
            wanted = self.frame_id - dt
            slot = wanted % self.delta_t
            hit = ~found & (t["history_frame"][:, slot] == wanted)
            origin[hit] = t["history"][hit, slot]
            found |= hit
        return origin

    def _observed_boxes(self, rows: np.ndarray) -> np.ndarray:
        obs = self._table["obs"][rows]
        return obs if self._oriented else xywh_to_xyxy(obs[:, :4])

    def _observation(self, detections: DetectionArrays, det_rows: np.ndarray) -> np.ndarray:
        """Detections as ``[cx, cy, w, h, angle]`` (angle 0 for axis-aligned boxes)."""
        if self._oriented:
            return np.array(detections.xywhr[det_rows], dtype=np.float64)
        xywh = xyxy_to_xywh(detections.xyxy[det_rows])
        return np.column_stack([xywh, np.zeros(len(det_rows))])

    def _observe(self, rows: np.ndarray, detections: DetectionArrays, det_rows: np.ndarray):
        """Correct matched tracks (ORU first for those coming back) and record the observation."""
        t = self._table
        obs = self._observation(detections, det_rows)
        if self._oriented:
            obs = align_xywhr(obs, t["obs"][rows, 4])
        gap = self.frame_id - t["last_frame"][rows]
        self._reupdate(rows[gap > 1], obs[gap > 1], gap[gap > 1])

        previous = self._origins()[rows]
        moved = unit_direction(previous, obs[:, :2])
        t["direction"][rows] = moved
        t["streak"][rows] = np.where(gap == 1, t["streak"][rows] + 1, 1)
        self._correct(rows, detections, det_rows)
        self._record(rows, obs)

    def _reupdate(self, rows: np.ndarray, obs: np.ndarray, gap: np.ndarray) -> None:
        """ORU: rewind to the last observation and follow a straight virtual trajectory.

        For a gap of ``g`` frames the filter is predicted ``g`` times and updated ``g - 1``
        times with boxes interpolated between the two real observations; the caller then
        applies the real detection as usual.
        """
        if len(rows) == 0:
            return
        t = self._table
        mean, cov = t["obs_mean"][rows], t["obs_cov"][rows]
        start, end = t["obs"][rows, :4], obs[:, :4]
        for k in range(1, int(gap.max())):
            active = gap > k
            mean[active], cov[active] = self.kalman.predict(mean[active], cov[active])
            fraction = (k / gap[active])[:, None]
            virtual = start[active] + fraction * (end[active] - start[active])
            measurement = self.kalman.to_measurement(xywh_to_xyxy(virtual))
            mean[active], cov[active] = self.kalman.update(mean[active], cov[active], measurement)
        t["mean"][rows], t["cov"][rows] = self.kalman.predict(mean, cov)

    def _record(self, rows: np.ndarray, obs: np.ndarray) -> None:
        t = self._table
        t["obs"][rows] = obs
        t["obs_mean"][rows] = t["mean"][rows]
        t["obs_cov"][rows] = t["cov"][rows]
        slot = self.frame_id % self.delta_t
        t["history"][rows, slot] = obs[:, :2]
        t["history_frame"][rows, slot] = self.frame_id

    def _spawn(self, detections: DetectionArrays, det_rows: np.ndarray) -> None:
        n = len(det_rows)
        obs = self._observation(detections, det_rows)
        d = self.kalman.ndim_state
        history_frame = np.full((n, self.delta_t), -1)
        history_frame[:, self.frame_id % self.delta_t] = self.frame_id
        history = np.zeros((n, self.delta_t, 2))
        history[:, self.frame_id % self.delta_t] = obs[:, :2]
        rows = self._new_tracks(
            detections,
            det_rows,
            obs=obs,
            obs_mean=np.zeros((n, d)),
            obs_cov=np.zeros((n, d, d)),
            history=history,
            history_frame=history_frame,
            direction=np.zeros((n, 2)),
            streak=np.ones(n),
        )
        t = self._table
        t["obs_mean"][rows] = t["mean"][rows]
        t["obs_cov"][rows] = t["cov"][rows]

    def _finish_frame(self) -> tuple[np.ndarray, np.ndarray]:
        t = self._table
        matched = t["last_frame"] == self.frame_id
        state = t["state"]
        warm_up = self.frame_id <= self.minimum_consecutive_frames
        ready = matched & (
            (state != _TENTATIVE) | (t["streak"] >= self.minimum_consecutive_frames) | warm_up
        )
        self._confirm(np.flatnonzero(ready))
        state[~matched & (state != _TENTATIVE)] = _LOST
        reported = self._matched_now(np.flatnonzero(ready))
        t.keep(self.frame_id - t["last_frame"] <= self.max_age)
        return reported

    def _warp_extra(self, warp: np.ndarray) -> None:
        """Camera motion also moves the stored observations and the rewind state."""
        t = self._table
        t["obs"] = _warp_xywhr(t["obs"], warp)
        shape = t["history"].shape
        t["history"] = _warp_points(t["history"].reshape(-1, 2), warp).reshape(shape)
        t["obs_mean"], t["obs_cov"] = self.kalman.apply_affine(t["obs_mean"], t["obs_cov"], warp)


def _centres(boxes: np.ndarray) -> np.ndarray:
    if boxes.shape[-1] == 5:
        return boxes[:, :2]
    return (boxes[:, :2] + boxes[:, 2:4]) / 2


def _warp_points(points: np.ndarray, warp: np.ndarray) -> np.ndarray:
    return points @ warp[:, :2].T + warp[:, 2]


def _warp_xywhr(boxes: np.ndarray, warp: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    out[:, :2] = _warp_points(boxes[:, :2], warp)
    out[:, 2:4] *= np.sqrt(abs(np.linalg.det(warp[:, :2])))
    out[:, 4] += np.arctan2(warp[1, 0], warp[0, 0])
    return out

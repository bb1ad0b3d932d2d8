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

Each frame runs as one compiled call, :func:`ocsort_step`, for either box kind.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.association.assignment import assign
from keeptrack.detections import DetectionArrays
from keeptrack.motion.cmc import CameraMotion
from keeptrack.motion.kalman import KalmanXYSR, update_inplace
from keeptrack.stages.boxes import (
    ANGLE,
    SCORE,
    XYSR,
    XYWH,
    aligned,
    detection_boxes,
    iou_matrix,
    measurements,
    normalize_angle,
    state_xyxy,
    track_boxes,
)
from keeptrack.stages.costs import (
    NO_APPEARANCE,
    adaptive_weights,
    direction_bonus,
    pair_costs,
    unit_direction,
)
from keeptrack.stages.kalman import correct, measurement_noise, predict_tracks
from keeptrack.stages.lifecycle import report_streaks, start_tracks, unmatched
from keeptrack.trackers.base import BaseTracker, frames_from_buffer
from keeptrack.validation import check_range

#: OC-SORT's own track columns, passed after the shared ones.
OCSORT_COLUMNS = ("obs", "obs_mean", "obs_cov", "history", "history_frame", "direction", "streak")


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
        return_unmatched: Return every detection, not only the tracked ones: rows no
            confirmed track owns get ``tracker_id`` -1 (Roboflow ``trackers``' convention).
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
        return_unmatched: bool = False,
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
        super().__init__(
            frame_rate, class_aware=class_aware, cmc=cmc, return_unmatched=return_unmatched
        )
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

    def _appearance_columns(self) -> tuple[str, ...]:
        """Track columns of the appearance memory, which the step must move when it removes
        tracks (none in OC-SORT)."""
        return ()

    def _appearance_terms(self) -> tuple[np.ndarray, float, float]:
        """The first association's appearance: similarity matrix, weight and adaptive-weight
        limit (none in OC-SORT; Deep OC-SORT overrides this)."""
        return NO_APPEARANCE, 0.0, 0.0

    def _step(self, detections: DetectionArrays, frame: np.ndarray | None):
        gate = 1.0 - self.minimum_iou_threshold
        appearance, weight, aw_limit = self._appearance_terms()
        # A similarity (at most 1 in size) weighted up to ``weight + aw_limit`` can push a
        # gated pair's cost that far above OC-SORT's largest.
        reach = weight + aw_limit if len(appearance) else 0.0
        return self._run_step(
            ocsort_step,
            detections,
            self.kalman.noise,
            float(self.high_conf_det_threshold),
            float(self.low_conf_det_threshold),
            float(gate),
            float(gate + self.inertia + reach),
            float(self.inertia),
            int(self.delta_t),
            bool(self.use_byte),
            bool(self.class_aware),
            int(self.minimum_consecutive_frames),
            int(self.max_age),
            appearance,
            float(weight),
            float(aw_limit),
            extra_columns=OCSORT_COLUMNS + self._appearance_columns(),
        )

    def _warp_extra(self, warp: np.ndarray) -> None:
        """Camera motion also moves the stored observations and the rewind state."""
        t = self._table
        t["obs"] = _warp_xywhr(t["obs"], warp)
        shape = t["history"].shape
        t["history"] = _warp_points(t["history"].reshape(-1, 2), warp).reshape(shape)
        self.kalman.apply_affine_inplace(t["obs_mean"], t["obs_cov"], warp)


def _warp_points(points: np.ndarray, warp: np.ndarray) -> np.ndarray:
    return points @ warp[:, :2].T + warp[:, 2]


def _warp_xywhr(boxes: np.ndarray, warp: np.ndarray) -> np.ndarray:
    out = boxes.copy()
    out[:, :2] = _warp_points(boxes[:, :2], warp)
    out[:, 2:4] *= np.sqrt(abs(np.linalg.det(warp[:, :2])))
    out[:, 4] += np.arctan2(warp[1, 0], warp[0, 0])
    return out


@njit(cache=True)
def origins(obs, history, history_frame, n, frame_id, delta_t):
    """Centre of each track's observation about ``delta_t`` frames ago (OCM's origin): the
    oldest observation within the last ``delta_t`` frames, else the latest one."""
    origin = np.empty((n, 2))
    for r in range(n):
        origin[r, 0], origin[r, 1] = obs[r, 0], obs[r, 1]
        for dt in range(delta_t, 0, -1):
            wanted = frame_id - dt
            slot = wanted % delta_t
            if history_frame[r, slot] == wanted:
                origin[r, 0], origin[r, 1] = history[r, slot, 0], history[r, slot, 1]
                break
    return origin


@njit(cache=True)
def ocm_costs(
    iou,
    high,
    det,
    origin,
    direction,
    gate,
    inertia,
    class_aware,
    track_class,
    appearance,
    appearance_weight,
    aw_limit,
):
    """OCM: IoU distance minus ``inertia * bonus * score`` where the IoU gate passes, else
    ``inf`` (the bonus only re-ranks pairs IoU accepts). With an ``appearance`` similarity
    matrix (tracks x detections; Deep OC-SORT) the pairs also lose their similarity times its
    adaptive weight (:func:`~keeptrack.stages.costs.adaptive_weights`)."""
    cost = pair_costs(
        iou, np.arange(len(iou)), np.arange(len(high)), det, high, False, class_aware, track_class
    )
    with_appearance = appearance.shape[0] > 0
    if with_appearance:
        similarity = np.empty(cost.shape)
        for a in range(cost.shape[0]):
            for b in range(cost.shape[1]):
                similarity[a, b] = appearance[a, high[b]]
        weights = adaptive_weights(similarity, appearance_weight, aw_limit)
    for a in range(cost.shape[0]):
        for b in range(cost.shape[1]):
            if cost[a, b] <= gate:
                bonus = direction_bonus(direction, origin, a, det, high[b])
                cost[a, b] = cost[a, b] - inertia * bonus * det[high[b], SCORE]
                if with_appearance:
                    cost[a, b] -= weights[a, b] * similarity[a, b]
            else:
                cost[a, b] = np.inf
    return cost


@njit(cache=True)
def observed_boxes(obs, n, oriented):
    """The first ``n`` tracks' last observations in the tracker's box kind (OCR's boxes)."""
    return obs[:n].copy() if oriented else state_xyxy(obs, n, XYWH)


@njit(cache=True)
def reupdate(r, end, gap, mean, cov, angle, angle_cov, obs, obs_mean, obs_cov, noise):
    """ORU for track ``r``: rewind to its last observation, follow a straight virtual
    trajectory to ``end`` (``[cx, cy, w, h]``) over ``gap`` frames, with ``gap - 1`` virtual
    updates, and predict the current frame."""
    mean[r] = obs_mean[r]
    cov[r] = obs_cov[r]
    row = np.array([r])
    virtual = np.empty((1, 4))
    for k in range(1, gap):
        predict_tracks(mean, cov, angle, angle_cov, row, XYSR, noise, False)
        fraction = k / gap
        for j in range(4):
            virtual[0, j] = obs[r, j] + fraction * (end[j] - obs[r, j])
        box = state_xyxy(virtual, 1, XYWH)
        update_inplace(
            mean, cov, row, measurements(box, XYSR), measurement_noise(mean, row, XYSR, noise)
        )
    predict_tracks(mean, cov, angle, angle_cov, row, XYSR, noise, False)


@njit(cache=True)
def record(extra, mean, cov, r, xywh, theta, slot, frame_id):
    """Store observation ``xywh`` (``[cx, cy, w, h]``) and angle ``theta`` of track ``r``, the
    filter state right after it, and its centre in the history ring."""
    obs, obs_mean, obs_cov, history, history_frame, _, _ = extra
    for j in range(4):
        obs[r, j] = xywh[j]
    obs[r, 4] = normalize_angle(theta)
    obs_mean[r] = mean[r]
    obs_cov[r] = cov[r]
    history[r, slot, 0] = xywh[0]
    history[r, slot, 1] = xywh[1]
    history_frame[r, slot] = frame_id


@njit(cache=True)
def ocsort_step(
    columns,
    n,
    det,
    frame_id,
    next_id,
    oriented,
    noise,
    high_threshold,
    low_threshold,
    gate,
    ocm_limit,
    inertia,
    delta_t,
    use_byte,
    class_aware,
    minimum_consecutive_frames,
    max_age,
    appearance,
    appearance_weight,
    aw_limit,
):
    """One OC-SORT frame, in place (arguments as :meth:`BaseTracker._run_step` passes them;
    ``gate`` is ``1 - minimum_iou_threshold`` and ``ocm_limit`` the largest first-stage cost
    accepted, ``gate + inertia`` without appearance). ``appearance`` is a cosine-similarity
    matrix, tracks x detections, for the first association (Deep OC-SORT), or
    :data:`~keeptrack.stages.costs.NO_APPEARANCE`."""
    track_id, state, mean, cov, _, class_id, _, last_frame, _, det_index = columns[:10]
    angle, angle_cov = columns[10], columns[11]
    extra = columns[12:19]  # OCSORT_COLUMNS; Deep OC-SORT appends its features
    obs, obs_mean, obs_cov, history, history_frame, direction, streak = extra
    rows = np.arange(n)
    predict_tracks(mean, cov, angle, angle_cov, rows, XYSR, noise, oriented)
    predicted = track_boxes(mean, angle, n, XYSR, oriented)
    origin = origins(obs, history, history_frame, n, frame_id, delta_t)

    # 1. OCM: IoU plus direction consistency, on predicted boxes.
    high = np.flatnonzero(det[:, SCORE] > high_threshold)
    iou = iou_matrix(predicted, detection_boxes(det, high, oriented))
    ocm = ocm_costs(
        iou,
        high,
        det,
        origin,
        direction,
        gate,
        inertia,
        class_aware,
        class_id,
        appearance,
        appearance_weight,
        aw_limit,
    )
    m1 = assign(ocm, ocm_limit)
    rows1, dets1 = rows[m1 >= 0], high[m1[m1 >= 0]]
    tracks_left = rows[m1 < 0]

    # 2. BYTE: leftover tracks against low-score boxes, on predicted boxes.
    rows2, dets2 = rows[:0], high[:0]
    if use_byte:
        scores = det[:, SCORE]
        low = np.flatnonzero((scores > low_threshold) & (scores <= high_threshold))
        iou = iou_matrix(predicted, detection_boxes(det, low, oriented))
        cost = pair_costs(
            iou, tracks_left, np.arange(len(low)), det, low, False, class_aware, class_id
        )
        m2 = assign(cost, gate)
        rows2, dets2 = tracks_left[m2 >= 0], low[m2[m2 >= 0]]
        tracks_left = tracks_left[m2 < 0]

    # 3. OCR: leftovers against each track's last observation.
    dets_left = high[unmatched(m1, len(high))]
    iou = iou_matrix(observed_boxes(obs, n, oriented), detection_boxes(det, dets_left, oriented))
    cost = pair_costs(
        iou, tracks_left, np.arange(len(dets_left)), det, dets_left, False, class_aware, class_id
    )
    m3 = assign(cost, gate)
    rows3, dets3 = tracks_left[m3 >= 0], dets_left[m3[m3 >= 0]]
    spawn = dets_left[unmatched(m3, len(dets_left))]

    # Correct matched tracks: ORU first for those coming back, then the direction, the Kalman
    # update and the observation record.
    matched = np.concatenate((rows1, rows2, rows3))
    dets = np.concatenate((dets1, dets2, dets3))
    boxes, angles = aligned(det, dets, angle, matched)
    seen = measurements(boxes, XYWH)
    slot = frame_id % delta_t
    for k in range(len(matched)):
        r = matched[k]
        gap = frame_id - last_frame[r]
        if gap > 1:
            reupdate(r, seen[k], gap, mean, cov, angle, angle_cov, obs, obs_mean, obs_cov, noise)
        direction[r, 0], direction[r, 1] = unit_direction(
            origin[r, 0], origin[r, 1], seen[k, 0], seen[k, 1]
        )
        streak[r] = streak[r] + 1 if gap == 1 else 1
    correct(columns, matched, dets, det, XYSR, noise, frame_id, oriented)
    for k in range(len(matched)):
        record(extra, mean, cov, matched[k], seen[k], angles[k], slot, frame_id)

    # Births from the high-score boxes left over.
    born = measurements(start_tracks(columns, n, spawn, det, XYSR, noise, frame_id), XYWH)
    for k in range(len(spawn)):
        r = n + k
        history[r] = 0.0
        history_frame[r] = -1
        direction[r] = 0.0
        streak[r] = 1
        record(extra, mean, cov, r, born[k], det[spawn[k], ANGLE], slot, frame_id)
    n += len(spawn)

    # Report, mark unmatched tracks lost, delete those unseen for too long.
    return report_streaks(
        columns, n, streak, frame_id, minimum_consecutive_frames, next_id, max_age
    )

"""Hybrid-SORT: weak cues matter for online multi-object tracking (Yang et al., AAAI 2024).

OC-SORT associates on position (IoU) and direction; both fail when objects of the same look
cross and occlude each other, the normal case in DanceTrack. Hybrid-SORT adds *weak* cues that
cost almost nothing to compute and tell such objects apart:

- **TCM** (track confidence modelling): the detection score of an object falls as it becomes
  occluded and rises as it comes out, smoothly. Each track filters its score with a
  constant-velocity Kalman filter of its own (``[c, dc]``; in the reference it is the fifth
  measurement of one joint filter, with no coupling to the box, which is the same filter). The
  first association adds ``tcm_first_step_weight * |score - predicted score|`` to the cost (the
  prediction clipped to ``[high_conf_det_threshold, 1]``); the BYTE stage adds
  ``tcm_byte_step_weight * |score - extrapolated score|``, where the extrapolation is the last
  score plus its last change (clipped to ``[low_conf_det_threshold,
  high_conf_det_threshold]``).
- **HMIoU** (height-modulated IoU): IoU times the overlap of the two boxes' vertical extents
  over their union. In a camera looking at people from the side, height separates near and far
  objects that overlap in the image; every stage matches on it.
- **Robust OCM**: OC-SORT's direction-consistency bonus, computed for the four box corners
  instead of the centre (shape changes such as a dancer bending are told apart from motion),
  with each corner's velocity the sum of the unit directions from every observation of the
  last ``delta_t`` frames (the reference's choice: a sum, not a mean, and the cosine is
  clipped to 1).
- **BYTE**: unmatched tracks may take low-score boxes (on by default, as in every reference
  configuration).

Each frame: predict box and score filters; first association of high-score boxes on HMIoU +
robust OCM + TCM against predicted boxes; BYTE on HMIoU + TCM; OCR (OC-SORT's recovery) on
HMIoU against each track's last observation; correct matched tracks (with OC-SORT's ORU re-update
of box and score filters for those coming back); start tentative tracks from the remaining
high-score boxes; delete tracks unseen for more than ``lost_track_buffer`` frames (at 30 fps).
Reporting is OC-SORT's (:mod:`keeptrack.trackers.ocsort`). Motion only: the reference's ReID
variant is not built here.

For oriented boxes, IoU is the rotated IoU, the height modulation uses each box's vertical
extent in the image, and the corners of the direction term are those of the box in its own
frame (the box unrotated about its centre).

Paper / reference defaults and this implementation's (the reference uses the same values on
DanceTrack and MOT17 except ``iou_thresh``: 0.15 on DanceTrack, 0.25 on the MOT17 ablation):

==============================  =========================  ==========  ============
keeptrack                       reference                  paper       default here
==============================  =========================  ==========  ============
``high_conf_det_threshold``     ``track_thresh``           0.6         0.6
``minimum_iou_threshold``       ``iou_thresh``             0.15/0.25   0.25
``track_activation_threshold``  (``track_thresh``)         0.6         0.7
``delta_t``                     ``deltat``                 3           3
``inertia``                     ``inertia``                0.05        0.05
``tcm_first_step_weight``       ``TCM_first_step_weight``  1.0         1.0
``tcm_byte_step_weight``        ``TCM_byte_step_weight``   1.0         1.0
``use_byte``                    ``use_byte``               True        True
``lost_track_buffer``           ``max_age``                30          30
``minimum_consecutive_frames``  ``min_hits``               3           3
``low_conf_det_threshold``      (fixed)                    0.1         0.1
==============================  =========================  ==========  ============

Two defaults differ from the DanceTrack reference, chosen on the MOT17 train half and
dancetrack-dev and confirmed on the MOT17 val half (BENCHMARKS.md): ``minimum_iou_threshold``
0.25 (the reference's MOT17 value; dancetrack-dev HOTA 52.6 -> 54.5, MOT17 train half 75.5 ->
75.8) and ``track_activation_threshold`` 0.7, ByteTrack's birth threshold above the high-score
split (54.5 -> 55.6 and 75.8 -> 75.9). Pass ``minimum_iou_threshold=0.15,
track_activation_threshold=0.6`` for the paper's DanceTrack setting.

As in keeptrack's OC-SORT, the birth detection counts as an observation and a track confirmed
once is reported again as soon as it is re-matched. ``lost_track_buffer`` is in frames at
30 fps, as for every keeptrack tracker (the reference keeps 30 frames at any frame rate).

Each frame runs as one compiled call, :func:`hybridsort_step`, for either box kind.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.association.assignment import assign
from keeptrack.detections import DetectionArrays
from keeptrack.motion.cmc import CameraMotion
from keeptrack.motion.kalman import KalmanXYSR, predict_inplace, update_inplace
from keeptrack.stages.boxes import (
    ANGLE,
    SCORE,
    X1,
    X2,
    XYSR,
    XYWH,
    Y1,
    Y2,
    aligned,
    detection_boxes,
    iou_matrix,
    measurements,
    normalize_angle,
    state_xyxy,
    track_boxes,
)
from keeptrack.stages.costs import pair_costs, unit_direction
from keeptrack.stages.kalman import correct, predict_tracks, repeat
from keeptrack.stages.lifecycle import report_streaks, start_tracks, unmatched
from keeptrack.trackers.base import BaseTracker, frames_from_buffer
from keeptrack.trackers.ocsort import _warp_points, _warp_xywhr, observed_boxes, reupdate
from keeptrack.validation import check_range

#: Hybrid-SORT's own track columns, passed after the shared ones.
HYBRIDSORT_COLUMNS = (
    "obs",
    "obs_mean",
    "obs_cov",
    "history",
    "history_frame",
    "velocity",
    "streak",
    "conf_mean",
    "conf_cov",
    "conf_obs_mean",
    "conf_obs_cov",
    "previous_score",
)
#: Score filter noise of the reference (standard deviations): process ``[c, dc]``,
#: measurement, initial ``[c, dc]``.
CONF_NOISE = np.sqrt(np.array([1.0, 1e-4, 10.0, 10.0, 1e4]))


class HybridSORTTracker(BaseTracker):
    """Hybrid-SORT (motion only): OC-SORT with track confidence modelling, height-modulated
    IoU, four-corner direction consistency and BYTE.

    Args:
        lost_track_buffer: Frames (at 30 fps) a track survives without a match (reference:
            ``max_age``).
        frame_rate: Frame rate of the stream; scales ``lost_track_buffer``.
        minimum_consecutive_frames: Consecutive matches before a new track is reported
            (reference: ``min_hits``).
        minimum_iou_threshold: Smallest height-modulated IoU an accepted match may have, in
            every stage (reference: ``iou_thresh``).
        high_conf_det_threshold: Detections scoring above this are matched first (reference:
            ``track_thresh``).
        track_activation_threshold: Smallest score of a high-score box left over that starts a
            track (the reference starts one from every high-score box).
        delta_t: Frames of past observations that define each corner's direction.
        inertia: Weight of each corner's direction-consistency term against HMIoU.
        tcm_first_step_weight: Weight of the score difference to each track's filtered score
            in the first association.
        tcm_byte_step_weight: Weight of the score difference to each track's extrapolated
            score in the BYTE association.
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
        minimum_iou_threshold: float = 0.25,
        high_conf_det_threshold: float = 0.6,
        track_activation_threshold: float = 0.7,
        delta_t: int = 3,
        inertia: float = 0.05,
        tcm_first_step_weight: float = 1.0,
        tcm_byte_step_weight: float = 1.0,
        use_byte: bool = True,
        low_conf_det_threshold: float = 0.1,
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
        self.high_conf_det_threshold = check_range(
            "high_conf_det_threshold", high_conf_det_threshold, 0, 1
        )
        self.delta_t = int(check_range("delta_t", delta_t, 1))
        self.inertia = check_range("inertia", inertia, 0)
        self.tcm_first_step_weight = check_range("tcm_first_step_weight", tcm_first_step_weight, 0)
        self.tcm_byte_step_weight = check_range("tcm_byte_step_weight", tcm_byte_step_weight, 0)
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
            # Boxes (xyxy, own frame) of the last ``delta_t`` frames, slot = frame % delta_t.
            "history": ((self.delta_t, 4), np.float64),
            "history_frame": ((self.delta_t,), np.int64),
            # Direction of each corner: (x1, y1), (x1, y2), (x2, y1), (x2, y2).
            "velocity": ((4, 2), np.float64),
            "streak": ((), np.int64),
            # Score filter [c, dc], and its state right after the last observation.
            "conf_mean": ((2,), np.float64),
            "conf_cov": ((2, 2), np.float64),
            "conf_obs_mean": ((2,), np.float64),
            "conf_obs_cov": ((2, 2), np.float64),
            # Score of the observation before the last, 0 unless matched in the last frame.
            "previous_score": ((), np.float64),
        }

    def _step(self, detections: DetectionArrays, frame: np.ndarray | None):
        gate = 1.0 - self.minimum_iou_threshold
        # Largest finite first-stage cost: the gate, four corner bonuses of -inertia / 2 and a
        # full score difference; the HMIoU gate alone decides which pairs may match.
        first_limit = gate + 2.0 * self.inertia + self.tcm_first_step_weight
        return self._run_step(
            hybridsort_step,
            detections,
            self.kalman.noise,
            CONF_NOISE,
            float(self.high_conf_det_threshold),
            float(self.low_conf_det_threshold),
            float(self.track_activation_threshold),
            float(gate),
            float(first_limit),
            float(self.inertia),
            float(self.tcm_first_step_weight),
            float(self.tcm_byte_step_weight),
            int(self.delta_t),
            bool(self.use_byte),
            bool(self.class_aware),
            int(self.minimum_consecutive_frames),
            int(self.max_age),
            extra_columns=HYBRIDSORT_COLUMNS,
        )

    def _warp_extra(self, warp: np.ndarray) -> None:
        """Camera motion also moves the stored observations and the rewind state."""
        t = self._table
        t["obs"] = _warp_xywhr(t["obs"], warp)
        shape = t["history"].shape
        t["history"] = _warp_points(t["history"].reshape(-1, 2), warp).reshape(shape)
        self.kalman.apply_affine_inplace(t["obs_mean"], t["obs_cov"], warp)


@njit(cache=True)
def vertical_extent(boxes):
    """Top and bottom ``(n, 2)`` of boxes of either kind, in the image."""
    out = np.empty((len(boxes), 2))
    for k in range(len(boxes)):
        if boxes.shape[1] == 4:
            out[k, 0], out[k, 1] = boxes[k, 1], boxes[k, 3]
        else:
            half = (
                abs(boxes[k, 2] * np.sin(boxes[k, 4])) + abs(boxes[k, 3] * np.cos(boxes[k, 4]))
            ) / 2
            out[k, 0], out[k, 1] = boxes[k, 1] - half, boxes[k, 1] + half
    return out


@njit(cache=True)
def hmiou_matrix(a, b):
    """Height-modulated IoU: IoU times the overlap of the vertical extents over their union."""
    out = iou_matrix(a, b)
    ya, yb = vertical_extent(a), vertical_extent(b)
    for r in range(len(a)):
        for c in range(len(b)):
            if out[r, c] > 0:
                inner = min(ya[r, 1], yb[c, 1]) - max(ya[r, 0], yb[c, 0])
                outer = max(ya[r, 1], yb[c, 1]) - min(ya[r, 0], yb[c, 0])
                out[r, c] *= inner / outer
    return out


@njit(cache=True)
def corner(box, k):
    """Corner ``k`` of ``xyxy`` ``box``: (x1, y1), (x1, y2), (x2, y1), (x2, y2)."""
    return (box[0] if k < 2 else box[2]), (box[1] if k % 2 == 0 else box[3])


@njit(cache=True)
def origins(obs, history, history_frame, n, frame_id, delta_t):
    """Box (xyxy) of each track's observation about ``delta_t`` frames ago (the origin of the
    directions): the oldest one within the last ``delta_t`` frames, else the latest one."""
    origin = state_xyxy(obs, n, XYWH)
    for r in range(n):
        for dt in range(delta_t, 0, -1):
            wanted = frame_id - dt
            slot = wanted % delta_t
            if history_frame[r, slot] == wanted:
                origin[r] = history[r, slot]
                break
    return origin


@njit(cache=True)
def corner_bonus(velocity, origin, r, det, d):
    """Robust OCM: the four corners' direction agreements (each in ``[-0.5, 0.5]``) of track
    ``r``'s velocity with the directions from its origin to detection ``d``."""
    box = np.array([det[d, X1], det[d, Y1], det[d, X2], det[d, Y2]])
    total = 0.0
    for k in range(4):
        ox, oy = corner(origin[r], k)
        px, py = corner(box, k)
        ux, uy = unit_direction(ox, oy, px, py)
        cosine = velocity[r, k, 0] * ux + velocity[r, k, 1] * uy
        cosine = min(max(cosine, -1.0), 1.0)
        total += (np.pi / 2 - np.arccos(cosine)) / np.pi
    return total


@njit(cache=True)
def first_costs(hm, high, det, origin, velocity, kalman_score, gate, inertia, weight, cls, ca):
    """First association: HMIoU distance minus the corner bonuses (times ``inertia`` and the
    detection's score) plus TCM, where the HMIoU gate passes, else ``inf``."""
    cost = pair_costs(hm, np.arange(len(hm)), np.arange(len(high)), det, high, False, ca, cls)
    for a in range(cost.shape[0]):
        for b in range(cost.shape[1]):
            if cost[a, b] <= gate:
                score = det[high[b], SCORE]
                bonus = corner_bonus(velocity, origin, a, det, high[b])
                tcm = weight * abs(score - kalman_score[a])
                cost[a, b] = cost[a, b] - inertia * bonus * score + tcm
            else:
                cost[a, b] = np.inf
    return cost


@njit(cache=True)
def track_scores(conf_mean, score, previous_score, n, low, high):
    """Each track's predicted score for the first association (the filter's, clipped to
    ``[high, 1]``) and for BYTE (last score plus its last change, clipped to ``[low, high]``)."""
    kalman_score = np.empty(n)
    simple_score = np.empty(n)
    for r in range(n):
        kalman_score[r] = min(max(conf_mean[r, 0], high), 1.0)
        trend = score[r] - previous_score[r] if previous_score[r] > 0 else 0.0
        simple_score[r] = min(max(score[r] + trend, low), high)
    return kalman_score, simple_score


@njit(cache=True)
def update_velocity(velocity, history, history_frame, obs, r, box, frame_id, delta_t):
    """Each corner's velocity: the sum of the unit directions to ``box`` (xyxy) from every
    observation of the last ``delta_t`` frames, else from the last observation."""
    velocity[r] = 0.0
    found = False
    for dt in range(1, delta_t + 1):
        wanted = frame_id - dt
        slot = wanted % delta_t
        if history_frame[r, slot] == wanted:
            found = True
            for k in range(4):
                ox, oy = corner(history[r, slot], k)
                px, py = corner(box, k)
                ux, uy = unit_direction(ox, oy, px, py)
                velocity[r, k, 0] += ux
                velocity[r, k, 1] += uy
    if not found:
        last = state_xyxy(obs[r : r + 1], 1, XYWH)[0]
        for k in range(4):
            ox, oy = corner(last, k)
            px, py = corner(box, k)
            velocity[r, k, 0], velocity[r, k, 1] = unit_direction(ox, oy, px, py)


@njit(cache=True)
def reupdate_score(r, end, gap, conf_mean, conf_cov, conf_obs_mean, conf_obs_cov, obs_score, cn):
    """ORU for track ``r``'s score filter: rewind to its last observation, update along a
    straight line to ``end`` over ``gap`` frames, and predict the current frame."""
    conf_mean[r] = conf_obs_mean[r]
    conf_cov[r] = conf_obs_cov[r]
    row = np.array([r])
    for k in range(1, gap):
        predict_inplace(conf_mean, conf_cov, row, cn[:2].reshape(1, 2), 1)
        virtual = obs_score + k / gap * (end - obs_score)
        update_inplace(conf_mean, conf_cov, row, np.array([[virtual]]), cn[2:3].reshape(1, 1))
    predict_inplace(conf_mean, conf_cov, row, cn[:2].reshape(1, 2), 1)


@njit(cache=True)
def record(extra, mean, cov, r, xyxy, theta, slot, frame_id):
    """Store observation ``xyxy`` and angle ``theta`` of track ``r``, the filter states right
    after it, and the box in the history ring."""
    obs, obs_mean, obs_cov, history, history_frame = extra[:5]
    conf_mean, conf_cov, conf_obs_mean, conf_obs_cov = extra[7:11]
    xywh = measurements(xyxy.reshape(1, 4), XYWH)[0]
    for j in range(4):
        obs[r, j] = xywh[j]
        history[r, slot, j] = xyxy[j]
    obs[r, 4] = normalize_angle(theta)
    obs_mean[r] = mean[r]
    obs_cov[r] = cov[r]
    conf_obs_mean[r] = conf_mean[r]
    conf_obs_cov[r] = conf_cov[r]
    history_frame[r, slot] = frame_id


@njit(cache=True)
def hybridsort_step(
    columns,
    n,
    det,
    frame_id,
    next_id,
    oriented,
    noise,
    conf_noise,
    high_threshold,
    low_threshold,
    activation_threshold,
    gate,
    first_limit,
    inertia,
    tcm_first,
    tcm_byte,
    delta_t,
    use_byte,
    class_aware,
    minimum_consecutive_frames,
    max_age,
):
    """One Hybrid-SORT frame, in place (arguments as :meth:`BaseTracker._run_step` passes
    them; ``gate`` is ``1 - minimum_iou_threshold``; ``conf_noise`` is :data:`CONF_NOISE`)."""
    mean, cov, score, class_id, last_frame = (
        columns[2],
        columns[3],
        columns[4],
        columns[5],
        columns[7],
    )
    angle, angle_cov = columns[10], columns[11]
    extra = columns[12:]
    obs, obs_mean, obs_cov, history, history_frame, velocity, streak = extra[:7]
    conf_mean, conf_cov, conf_obs_mean, conf_obs_cov, previous_score = extra[7:]
    rows = np.arange(n)
    predict_tracks(mean, cov, angle, angle_cov, rows, XYSR, noise, oriented)
    predict_inplace(conf_mean, conf_cov, rows, repeat(conf_noise[:2], n), 1)
    predicted = track_boxes(mean, angle, n, XYSR, oriented)
    origin = origins(obs, history, history_frame, n, frame_id, delta_t)
    kalman_score, simple_score = track_scores(
        conf_mean, score, previous_score, n, low_threshold, high_threshold
    )

    # 1. HMIoU + robust OCM + TCM, high-score boxes against predicted boxes.
    high = np.flatnonzero(det[:, SCORE] > high_threshold)
    hm = hmiou_matrix(predicted, detection_boxes(det, high, oriented))
    cost = first_costs(
        hm,
        high,
        det,
        origin,
        velocity,
        kalman_score,
        gate,
        inertia,
        tcm_first,
        class_id,
        class_aware,
    )
    m1 = assign(cost, first_limit)
    rows1, dets1 = rows[m1 >= 0], high[m1[m1 >= 0]]
    tracks_left = rows[m1 < 0]

    # 2. BYTE: leftover tracks against low-score boxes, HMIoU + TCM on predicted boxes.
    rows2, dets2 = rows[:0], high[:0]
    if use_byte:
        scores = det[:, SCORE]
        low = np.flatnonzero((scores > low_threshold) & (scores < high_threshold))
        hm = hmiou_matrix(predicted, detection_boxes(det, low, oriented))
        cost = pair_costs(
            hm, tracks_left, np.arange(len(low)), det, low, False, class_aware, class_id
        )
        for a in range(cost.shape[0]):
            for b in range(cost.shape[1]):
                cost[a, b] += tcm_byte * abs(scores[low[b]] - simple_score[tracks_left[a]])
        m2 = assign(cost, gate)
        rows2, dets2 = tracks_left[m2 >= 0], low[m2[m2 >= 0]]
        tracks_left = tracks_left[m2 < 0]

    # 3. OCR: leftovers against each track's last observation, HMIoU.
    dets_left = high[unmatched(m1, len(high))]
    hm = hmiou_matrix(observed_boxes(obs, n, oriented), detection_boxes(det, dets_left, oriented))
    cost = pair_costs(
        hm, tracks_left, np.arange(len(dets_left)), det, dets_left, False, class_aware, class_id
    )
    m3 = assign(cost, gate)
    rows3, dets3 = tracks_left[m3 >= 0], dets_left[m3[m3 >= 0]]
    spawn = dets_left[unmatched(m3, len(dets_left))]
    spawn = spawn[det[spawn, SCORE] >= activation_threshold]

    # Correct matched tracks: ORU for those coming back, corner velocities, the score filter,
    # the box filter and the observation record.
    matched = np.concatenate((rows1, rows2, rows3))
    dets = np.concatenate((dets1, dets2, dets3))
    boxes, angles = aligned(det, dets, angle, matched)
    seen = measurements(boxes, XYWH)
    slot = frame_id % delta_t
    for k in range(len(matched)):
        r, s = matched[k], det[dets[k], SCORE]
        gap = frame_id - last_frame[r]
        if gap > 1:
            reupdate(r, seen[k], gap, mean, cov, angle, angle_cov, obs, obs_mean, obs_cov, noise)
            reupdate_score(
                r, s, gap, conf_mean, conf_cov, conf_obs_mean, conf_obs_cov, score[r], conf_noise
            )
        update_velocity(velocity, history, history_frame, obs, r, boxes[k], frame_id, delta_t)
        streak[r] = streak[r] + 1 if gap == 1 else 1
        previous_score[r] = score[r]
    update_inplace(
        conf_mean,
        conf_cov,
        matched,
        det[dets, SCORE].reshape(-1, 1),
        repeat(conf_noise[2:3], len(matched)),
    )
    correct(columns, matched, dets, det, XYSR, noise, frame_id, oriented)
    for k in range(len(matched)):
        record(extra, mean, cov, matched[k], boxes[k], angles[k], slot, frame_id)
    for r in tracks_left[m3 < 0]:
        previous_score[r] = 0.0

    # Births from the high-score boxes left over.
    born = start_tracks(columns, n, spawn, det, XYSR, noise, frame_id)
    for k in range(len(spawn)):
        r = n + k
        history_frame[r] = -1
        velocity[r] = 0.0
        streak[r] = 1
        previous_score[r] = 0.0
        conf_mean[r, 0], conf_mean[r, 1] = det[spawn[k], SCORE], 0.0
        conf_cov[r] = 0.0
        conf_cov[r, 0, 0] = conf_noise[3] * conf_noise[3]
        conf_cov[r, 1, 1] = conf_noise[4] * conf_noise[4]
        record(extra, mean, cov, r, born[k], det[spawn[k], ANGLE], slot, frame_id)
    n += len(spawn)
    return report_streaks(
        columns, n, streak, frame_id, minimum_consecutive_frames, next_id, max_age
    )

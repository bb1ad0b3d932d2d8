"""One OC-SORT frame as one compiled call (see :mod:`keeptrack.trackers.byte_kernel` for why).

The same algorithm, bit for bit, as :meth:`keeptrack.trackers.ocsort.OCSORTTracker._step`,
which stays the readable reference and the path for oriented boxes: prediction, OCM
association (IoU plus the direction bonus), the optional BYTE stage, OCR on the last
observations, ORU re-updates for tracks coming back after a gap, the observation / history
bookkeeping, births, confirmation and deletion. The elementwise formulas (box conversions,
unit directions, the OCM bonus) are written in the same operation order as their NumPy
versions; ``tests/test_compiled_steps.py`` checks that both paths give identical tracks on
MOT17.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.association.assignment import assign
from keeptrack.association.direction import _EPS as _DIRECTION_EPS
from keeptrack.motion.kalman import predict_inplace, update_inplace
from keeptrack.trackers.byte_kernel import (
    TRACK_COLUMNS,
    XYWH,
    _to_measurement,
    _to_xyxy,
    compact,
    confirm,
    correct,
    iou_matrix,
    pair_costs,
    start_tracks,
    unmatched,
)
from keeptrack.trackers.sort_kernel import _repeat, _xysr_measurements, _xysr_to_xyxy
from keeptrack.trackers.tracks import LOST, TENTATIVE

#: OC-SORT's own track columns, passed after the shared ones (``extra_columns`` of
#: :meth:`~keeptrack.trackers.base.BaseTracker._run_compiled_step`).
OCSORT_COLUMNS = ("obs", "obs_mean", "obs_cov", "history", "history_frame", "direction", "streak")
_SHARED = len(TRACK_COLUMNS)


@njit(cache=True)
def _limit_and_predict(mean, cov, rows, process_std):
    """``KalmanXYSR.predict`` of tracks ``rows`` in place: a prediction that would make the
    area negative first stops the area from shrinking."""
    for r in rows:
        if mean[r, 6] + mean[r, 2] <= 0:
            mean[r, 6] = 0.0
    predict_inplace(mean, cov, rows, _repeat(process_std, len(rows)), 3)


@njit(cache=True)
def _origins(obs, history, history_frame, n, frame_id, delta_t):
    """Centre of each track's observation about ``delta_t`` frames ago (as ``_origins``)."""
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
def _unit_direction(x0, y0, x1, y1):
    """Unit vector from ``(x0, y0)`` to ``(x1, y1)`` (as ``direction.unit_direction``)."""
    dx = x1 - x0
    dy = y1 - y0
    norm = np.sqrt(dx * dx + dy * dy) + _DIRECTION_EPS
    return dx / norm, dy / norm


@njit(cache=True)
def _ocm_costs(
    iou,
    high,
    xyxy,
    confidence,
    origin,
    direction,
    gate,
    inertia,
    class_aware,
    track_class,
    det_class,
):
    """IoU distance minus ``inertia * bonus * score`` where the IoU gate passes, else ``inf``
    (as the NumPy step's ``direction_consistency`` / ``np.where``)."""
    n, m = iou.shape
    cost = np.empty((n, m))
    for a in range(n):
        for b in range(m):
            c = high[b]
            value = 1.0 - iou[a, b]
            if class_aware and track_class[a] != det_class[c]:
                value = np.inf
            if value <= gate:
                ux, uy = _unit_direction(
                    origin[a, 0],
                    origin[a, 1],
                    (xyxy[c, 0] + xyxy[c, 2]) / 2,
                    (xyxy[c, 1] + xyxy[c, 3]) / 2,
                )
                cosine = direction[a, 0] * ux + direction[a, 1] * uy
                cosine = min(max(cosine, -1.0), 1.0)
                bonus = (np.pi / 2 - np.arccos(cosine)) / np.pi
                cost[a, b] = value - inertia * bonus * confidence[c]
            else:
                cost[a, b] = np.inf
    return cost


@njit(cache=True)
def _reupdate(r, end, gap, mean, cov, obs, obs_mean, obs_cov, process_std, measurement_std):
    """ORU for track ``r``: rewind to its last observation, follow a straight virtual
    trajectory to ``end`` over ``gap`` frames, and predict the current frame (as
    ``OCSORTTracker._reupdate``)."""
    mean[r] = obs_mean[r]
    cov[r] = obs_cov[r]
    row = np.array([r])
    noise = _repeat(measurement_std, 1)
    virtual = np.empty((1, 4))
    for k in range(1, gap):
        _limit_and_predict(mean, cov, row, process_std)
        fraction = k / gap
        for j in range(4):
            virtual[0, j] = obs[r, j] + fraction * (end[j] - obs[r, j])
        box = _to_xyxy(virtual, 1, XYWH)
        update_inplace(mean, cov, row, _xysr_measurements(box, np.zeros(1, np.int64)), noise)
    _limit_and_predict(mean, cov, row, process_std)


@njit(cache=True)
def _record(extra, mean, cov, r, xywh, slot, frame_id):
    """Store observation ``xywh`` (``[cx, cy, w, h]``) of track ``r``, the filter state right
    after it, and its centre in the history ring (as ``OCSORTTracker._record``)."""
    obs, obs_mean, obs_cov, history, history_frame, _, _ = extra
    for j in range(4):
        obs[r, j] = xywh[j]
    obs[r, 4] = 0.0
    obs_mean[r] = mean[r]
    obs_cov[r] = cov[r]
    history[r, slot, 0] = xywh[0]
    history[r, slot, 1] = xywh[1]
    history_frame[r, slot] = frame_id


@njit(cache=True)
def _compact_extra(extra, removed):
    """Move the OC-SORT columns of the rows not ``removed`` to the front, as :func:`compact`."""
    obs, obs_mean, obs_cov, history, history_frame, direction, streak = extra
    size = 0
    for r in range(len(removed)):
        if not removed[r]:
            if size != r:
                obs[size] = obs[r]
                obs_mean[size] = obs_mean[r]
                obs_cov[size] = obs_cov[r]
                history[size] = history[r]
                history_frame[size] = history_frame[r]
                direction[size] = direction[r]
                streak[size] = streak[r]
            size += 1


@njit(cache=True)
def ocsort_step(
    columns,
    n,
    xyxy,
    confidence,
    det_class,
    frame_id,
    next_id,
    process_std,
    measurement_std,
    initial_std,
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
):
    """Advance the tracks by one frame of OC-SORT, in place.

    ``columns`` are the shared track columns of :func:`~keeptrack.trackers.byte_kernel.byte_step`
    followed by :data:`OCSORT_COLUMNS`; ``gate`` is ``1 - minimum_iou_threshold`` and
    ``ocm_limit`` is ``gate + inertia`` (the OCM stage's assignment limit); the noise arguments
    are the XYSR filter's fixed standard deviations.

    Returns:
        ``(n, next_id, det_index, track_id)`` as :func:`~keeptrack.trackers.byte_kernel.byte_step`.
    """
    # The shared columns (as byte_step takes them) come first, OC-SORT's own after them.
    shared, extra = columns[:_SHARED], columns[_SHARED:]
    track_id, state, mean, cov, score, class_id, start_frame, last_frame, hits, det_index = shared
    obs, obs_mean, obs_cov, history, history_frame, direction, streak = extra
    rows = np.arange(n)
    _limit_and_predict(mean, cov, rows, process_std)
    predicted = _xysr_to_xyxy(mean, n)
    origin = _origins(obs, history, history_frame, n, frame_id, delta_t)

    # 1. OCM: IoU plus direction consistency, on predicted boxes.
    high = np.flatnonzero(confidence > high_threshold)
    ocm = _ocm_costs(
        iou_matrix(predicted, xyxy[high]),
        high,
        xyxy,
        confidence,
        origin,
        direction,
        gate,
        inertia,
        class_aware,
        class_id,
        det_class,
    )
    m1 = assign(ocm, ocm_limit)
    rows1, dets1 = rows[m1 >= 0], high[m1[m1 >= 0]]
    tracks_left = rows[m1 < 0]

    # 2. BYTE: leftover tracks against low-score boxes, on predicted boxes.
    rows2, dets2 = rows[:0], high[:0]
    if use_byte:
        low = np.flatnonzero((confidence > low_threshold) & (confidence <= high_threshold))
        cost = pair_costs(
            iou_matrix(predicted, xyxy[low]),
            tracks_left,
            np.arange(len(low)),
            low,
            confidence,
            False,
            class_aware,
            class_id,
            det_class,
        )
        m2 = assign(cost, gate)
        rows2, dets2 = tracks_left[m2 >= 0], low[m2[m2 >= 0]]
        tracks_left = tracks_left[m2 < 0]

    # 3. OCR: leftovers against each track's last observation.
    dets_left = high[unmatched(m1, len(high))]
    cost = pair_costs(
        iou_matrix(_to_xyxy(obs, n, XYWH), xyxy[dets_left]),
        tracks_left,
        np.arange(len(dets_left)),
        dets_left,
        confidence,
        False,
        class_aware,
        class_id,
        det_class,
    )
    m3 = assign(cost, gate)
    rows3, dets3 = tracks_left[m3 >= 0], dets_left[m3[m3 >= 0]]
    spawn = dets_left[unmatched(m3, len(dets_left))]

    # Correct matched tracks: ORU first for those coming back, then the direction, the Kalman
    # update and the observation record.
    matched = np.concatenate((rows1, rows2, rows3))
    dets = np.concatenate((dets1, dets2, dets3))
    seen = _to_measurement(xyxy, dets, XYWH)
    slot = frame_id % delta_t
    for k in range(len(matched)):
        r = matched[k]
        gap = frame_id - last_frame[r]
        if gap > 1:
            _reupdate(
                r, seen[k], gap, mean, cov, obs, obs_mean, obs_cov, process_std, measurement_std
            )
        direction[r, 0], direction[r, 1] = _unit_direction(
            origin[r, 0], origin[r, 1], seen[k, 0], seen[k, 1]
        )
        streak[r] = streak[r] + 1 if gap == 1 else 1
    noise = _repeat(measurement_std, len(matched))
    correct(shared, matched, dets, _xysr_measurements(xyxy, dets), noise, confidence, frame_id)
    for k in range(len(matched)):
        _record(extra, mean, cov, matched[k], seen[k], slot, frame_id)

    # Births from the high-score boxes left over.
    born = _to_measurement(xyxy, spawn, XYWH)
    measurement = _xysr_measurements(xyxy, spawn)
    initial = _repeat(initial_std, len(spawn))
    start_tracks(shared, n, spawn, measurement, initial, confidence, det_class, frame_id)
    for k in range(len(spawn)):
        r = n + k
        history[r] = 0.0
        history_frame[r] = -1
        direction[r] = 0.0
        streak[r] = 1
        _record(extra, mean, cov, r, born[k], slot, frame_id)
    n += len(spawn)

    # Report, mark unmatched tracks lost, delete those unseen for too long.
    matched_now = last_frame[:n] == frame_id
    warm_up = frame_id <= minimum_consecutive_frames
    ready = np.flatnonzero(
        matched_now
        & ((state[:n] != TENTATIVE) | (streak[:n] >= minimum_consecutive_frames) | warm_up)
    )
    next_id = confirm(ready, state, track_id, next_id)
    for r in range(n):
        if not matched_now[r] and state[r] != TENTATIVE:
            state[r] = LOST
    reported_det, reported_id = det_index[ready], track_id[ready]
    removed = frame_id - last_frame[:n] > max_age
    _compact_extra(extra, removed)
    n = compact(shared, removed)
    return n, next_id, reported_det, reported_id

"""One BYTE frame (ByteTrack / BoT-SORT association and track lifecycle) as one compiled call.

A tracking frame is about 250 tiny array operations when written with NumPy (tens of tracks
and detections), and NumPy's per-call overhead, not arithmetic, then sets the frame rate. This
module runs the whole frame -- prediction, the IoU matrix, the three associations, Kalman
correction, confirmation, removal, births and duplicate removal -- in one Numba function, so a
frame costs one call.

It is the same algorithm, step for step and bit for bit, as
:meth:`keeptrack.trackers.bytetrack.ByteTrackTracker._step`, which remains the readable
reference and the path for what this kernel does not cover (oriented boxes, appearance
features). The Kalman arithmetic and the assignment solver are shared compiled functions; the
few elementwise formulas repeated here (box conversions, IoU, score fusion) are written in
the same operation order as their NumPy versions. ``tests/test_byte_kernel.py`` checks that
both paths give identical tracks on MOT17.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.association.assignment import assign
from keeptrack.motion.kalman import predict_inplace, update_inplace, xyah_std, xywh_std
from keeptrack.trackers.tracks import LOST, TENTATIVE, TRACKED

#: Motion models the kernel knows, by the ``model`` argument.
XYAH, XYWH = 0, 1
_EPS = 1e-9  # as keeptrack.geometry
_DUPLICATE_IOU = 0.85  # as ByteTrackTracker


@njit(cache=True)
def _to_xyxy(mean: np.ndarray, model: int) -> np.ndarray:
    out = np.empty((len(mean), 4))
    for n in range(len(mean)):
        w = mean[n, 2] * mean[n, 3] if model == XYAH else mean[n, 2]
        half_w, half_h = w / 2, mean[n, 3] / 2
        out[n, 0] = mean[n, 0] - half_w
        out[n, 1] = mean[n, 1] - half_h
        out[n, 2] = mean[n, 0] + half_w
        out[n, 3] = mean[n, 1] + half_h
    return out


@njit(cache=True)
def _to_measurement(xyxy: np.ndarray, rows: np.ndarray, model: int) -> np.ndarray:
    out = np.empty((len(rows), 4))
    for k in range(len(rows)):
        x1, y1, x2, y2 = xyxy[rows[k]]
        w, h = x2 - x1, y2 - y1
        out[k, 0] = x1 + w / 2
        out[k, 1] = y1 + h / 2
        out[k, 2] = w / max(h, _EPS) if model == XYAH else w
        out[k, 3] = h
    return out


@njit(cache=True)
def _noise(source: np.ndarray, model: int, position: float, velocity: float, floor: float):
    if model == XYAH:
        return xyah_std(source[:, 3].copy(), position, velocity, floor)
    return xywh_std(source, position, velocity)


@njit(cache=True)
def _iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(iw, 0.0) * max(ih, 0.0)
    area_a = max(a[2] - a[0], 0.0) * max(a[3] - a[1], 0.0)
    area_b = max(b[2] - b[0], 0.0) * max(b[3] - b[1], 0.0)
    return inter / max(area_a + area_b - inter, _EPS)


@njit(cache=True)
def _cost(iou, rows, cols, dets, confidence, fuse, class_aware, track_class, det_class):
    """``1 - IoU`` of ``rows`` x ``cols`` (optionally score-fused), cross-class pairs ``inf``."""
    cost = np.empty((len(rows), len(cols)))
    for a in range(len(rows)):
        for b in range(len(cols)):
            value = 1.0 - iou[rows[a], cols[b]]
            if fuse:
                value = 1.0 - (1.0 - value) * confidence[dets[b]]
            if class_aware and track_class[rows[a]] != det_class[dets[b]]:
                value = np.inf
            cost[a, b] = value
    return cost


@njit(cache=True)
def _confirm(rows, state, track_id, next_id):
    for r in rows:
        state[r] = TRACKED
        if track_id[r] < 0:
            track_id[r] = next_id
            next_id += 1
    return next_id


@njit(cache=True)
def byte_step(
    track_id,
    state,
    mean,
    cov,
    score,
    class_id,
    start_frame,
    last_frame,
    hits,
    det_index,
    xyxy,
    confidence,
    det_class,
    frame_id,
    next_id,
    model,
    std_position,
    std_velocity,
    low_threshold,
    high_threshold,
    activation_threshold,
    first_limit,
    second_limit,
    third_limit,
    fuse,
    class_aware,
    minimum_consecutive_frames,
    max_time_lost,
):
    """Advance the track columns by one frame of BYTE.

    Takes the track columns (one row per track, as in
    :class:`~keeptrack.trackers.tracks.TrackTable`; rows that survive are updated in place),
    the frame's validated detections, the counters and the tracker's parameters (the
    association limits as costs, ``1 - IoU threshold``).

    Returns:
        ``(columns, next_id, det_index, track_id)``: the new columns in argument order, the next
        free id, and the tracker's output (detection rows of reported tracks and their ids).
    """
    n = len(track_id)
    candidates = np.flatnonzero(confidence > low_threshold)
    cand_conf = confidence[candidates]
    high_c = np.flatnonzero(cand_conf > high_threshold)
    low_c = np.flatnonzero(cand_conf < high_threshold)
    high, low = candidates[high_c], candidates[low_c]
    pool = np.flatnonzero(state != TENTATIVE)
    tentative = np.flatnonzero(state == TENTATIVE)

    # Predict tracked and lost tracks; lost ones keep their size fixed.
    pool_mean, pool_cov = mean[pool], cov[pool]
    for k in range(len(pool)):
        if state[pool[k]] == LOST:
            pool_mean[k, 7] = 0.0
            if model == XYWH:
                pool_mean[k, 6] = 0.0
    std = _noise(pool_mean, model, std_position, std_velocity, 1e-2)
    predict_inplace(pool_mean, pool_cov, std, 4)
    mean[pool], cov[pool] = pool_mean, pool_cov

    boxes = _to_xyxy(mean, model)
    det_boxes = xyxy[candidates]
    iou = np.empty((n, len(candidates)))
    for r in range(n):
        for c in range(len(candidates)):
            iou[r, c] = _iou(boxes[r], det_boxes[c])

    first = _cost(iou, pool, high_c, high, confidence, fuse, class_aware, class_id, det_class)
    m1 = assign(first, first_limit)
    remaining = pool[(m1 < 0) & (state[pool] == TRACKED)]
    second = _cost(iou, remaining, low_c, low, confidence, False, class_aware, class_id, det_class)
    m2 = assign(second, second_limit)
    high_free = np.ones(len(high_c), np.bool_)
    for k in m1:
        if k >= 0:
            high_free[k] = False
    high_rest_c, high_rest = high_c[high_free], high[high_free]
    third = _cost(
        iou, tentative, high_rest_c, high_rest, confidence, fuse, class_aware, class_id, det_class
    )
    m3 = assign(third, third_limit)

    matched_pool = np.concatenate((pool[m1 >= 0], remaining[m2 >= 0]))
    matched_tentative = tentative[m3 >= 0]
    rows = np.concatenate((matched_pool, matched_tentative))
    dets = np.concatenate((high[m1[m1 >= 0]], low[m2[m2 >= 0]], high_rest[m3[m3 >= 0]]))
    if len(rows):
        row_mean, row_cov = mean[rows], cov[rows]
        noise = _noise(row_mean, model, std_position, 0.0, 0.1)
        update_inplace(row_mean, row_cov, _to_measurement(xyxy, dets, model), noise)
        mean[rows], cov[rows] = row_mean, row_cov
        score[rows] = confidence[dets]
        last_frame[rows] = frame_id
        hits[rows] += 1
        det_index[rows] = dets
    next_id = _confirm(matched_pool, state, track_id, next_id)
    next_id = _confirm(
        matched_tentative[hits[matched_tentative] >= minimum_consecutive_frames],
        state,
        track_id,
        next_id,
    )
    state[remaining[m2 < 0]] = LOST

    removed = (state == LOST) & (frame_id - last_frame > max_time_lost)
    removed[tentative[m3 < 0]] = True
    unused = np.ones(len(high_rest), np.bool_)
    for k in m3:
        if k >= 0:
            unused[k] = False
    spawn = high_rest[unused]
    spawn = spawn[confidence[spawn] >= activation_threshold]

    # Drop removed rows and append one tentative track (id -1) per spawned detection.
    kept = np.flatnonzero(~removed)
    born = len(spawn)
    measurement = _to_measurement(xyxy, spawn, model)
    initial = _noise(measurement, model, 2 * std_position, 10 * std_velocity, 1e-2)
    new_mean = np.zeros((born, 8))
    new_cov = np.zeros((born, 8, 8))
    for k in range(born):
        new_mean[k, :4] = measurement[k]
        for j in range(8):
            new_cov[k, j, j] = initial[k, j] * initial[k, j]
    track_id = _rows(track_id, kept, np.full(born, -1, np.int64))
    state = _rows(state, kept, np.full(born, TENTATIVE, np.int8))
    mean = _rows(mean, kept, new_mean)
    cov = _rows(cov, kept, new_cov)
    score = _rows(score, kept, confidence[spawn])
    class_id = _rows(class_id, kept, det_class[spawn])
    start_frame = _rows(start_frame, kept, np.full(born, frame_id, np.int64))
    last_frame = _rows(last_frame, kept, np.full(born, frame_id, np.int64))
    hits = _rows(hits, kept, np.ones(born, np.int64))
    det_index = _rows(det_index, kept, spawn.astype(np.int64))
    if frame_id == 1 or minimum_consecutive_frames <= 1:
        next_id = _confirm(np.arange(len(kept), len(kept) + born), state, track_id, next_id)

    keep = _without_duplicates(state, _to_xyxy(mean, model), last_frame - start_frame)
    if len(keep) < len(state):
        track_id, state, mean, cov = track_id[keep], state[keep], mean[keep], cov[keep]
        score, class_id, hits = score[keep], class_id[keep], hits[keep]
        start_frame, last_frame, det_index = start_frame[keep], last_frame[keep], det_index[keep]
    columns = (
        track_id, state, mean, cov, score, class_id, start_frame, last_frame, hits, det_index
    )
    reported = np.flatnonzero((state == TRACKED) & (last_frame == frame_id))
    return columns, next_id, det_index[reported], track_id[reported]


@njit(cache=True)
def _rows(column, kept, appended):
    return np.concatenate((column[kept], appended))


@njit(cache=True)
def _without_duplicates(state, boxes, duration):
    """Rows to keep after dropping the younger of each tracked/lost pair with IoU > 0.85 (the
    reference keeps whichever has been alive longer; ties go to the lost track)."""
    keep = np.ones(len(state), np.bool_)
    for a in range(len(state)):
        if state[a] == LOST:
            continue
        for b in range(len(state)):
            if state[b] == LOST and _iou(boxes[a], boxes[b]) > _DUPLICATE_IOU:
                keep[b if duration[a] > duration[b] else a] = False
    return np.flatnonzero(keep)

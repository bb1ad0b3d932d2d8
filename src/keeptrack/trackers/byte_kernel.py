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
the same operation order as their NumPy versions. ``tests/test_compiled_steps.py`` checks that
both paths give identical tracks on MOT17.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.association.assignment import assign
from keeptrack.geometry import _EPS
from keeptrack.motion.kalman import predict_inplace, update_inplace, xyah_std, xywh_std
from keeptrack.trackers.tracks import LOST, TENTATIVE, TRACKED

#: Track columns a compiled step takes (as one tuple, in this order) and updates in place.
TRACK_COLUMNS = (
    "track_id",
    "state",
    "mean",
    "cov",
    "score",
    "class_id",
    "start_frame",
    "last_frame",
    "hits",
    "det_index",
)
#: Motion models the kernel knows, by the ``model`` argument.
XYAH, XYWH = 0, 1
#: Tracked/lost pairs overlapping more than this are one object twice (ByteTrack reference).
DUPLICATE_IOU = 0.85


@njit(cache=True)
def _to_xyxy(mean: np.ndarray, n: int, model: int) -> np.ndarray:
    """Boxes ``(n, 4)`` of the first ``n`` tracks, as ``keeptrack.geometry`` computes them."""
    out = np.empty((n, 4))
    for r in range(n):
        w = mean[r, 2] * mean[r, 3] if model == XYAH else mean[r, 2]
        half_w, half_h = w / 2, mean[r, 3] / 2
        out[r, 0] = mean[r, 0] - half_w
        out[r, 1] = mean[r, 1] - half_h
        out[r, 2] = mean[r, 0] + half_w
        out[r, 3] = mean[r, 1] + half_h
    return out


@njit(cache=True)
def _to_measurement(xyxy: np.ndarray, dets: np.ndarray, model: int) -> np.ndarray:
    out = np.empty((len(dets), 4))
    for k in range(len(dets)):
        x1, y1, x2, y2 = xyxy[dets[k], 0], xyxy[dets[k], 1], xyxy[dets[k], 2], xyxy[dets[k], 3]
        w, h = x2 - x1, y2 - y1
        out[k, 0] = x1 + w / 2
        out[k, 1] = y1 + h / 2
        out[k, 2] = w / max(h, _EPS) if model == XYAH else w
        out[k, 3] = h
    return out


@njit(cache=True)
def _noise(boxes: np.ndarray, rows: np.ndarray, model: int, position, velocity, floor):
    """The model's noise standard deviations for ``boxes[rows]`` (states or measurements)."""
    height = np.empty(len(rows))
    width = np.empty(len(rows))
    for k in range(len(rows)):
        width[k] = boxes[rows[k], 2]
        height[k] = boxes[rows[k], 3]
    if model == XYAH:
        return xyah_std(height, position, velocity, floor)
    return xywh_std(width, height, position, velocity)


@njit(cache=True)
def _area(box: np.ndarray) -> float:
    return max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)


@njit(cache=True)
def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every ``xyxy`` box in ``a`` with every one in ``b``, as ``geometry.box_iou``."""
    area_a = np.array([_area(box) for box in a])
    area_b = np.array([_area(box) for box in b])
    out = np.empty((len(a), len(b)))
    for r in range(len(a)):
        ax1, ay1, ax2, ay2 = a[r, 0], a[r, 1], a[r, 2], a[r, 3]
        for c in range(len(b)):
            iw = min(ax2, b[c, 2]) - max(ax1, b[c, 0])
            ih = min(ay2, b[c, 3]) - max(ay1, b[c, 1])
            inter = max(iw, 0.0) * max(ih, 0.0)
            out[r, c] = inter / max(area_a[r] + area_b[c] - inter, _EPS)
    return out


@njit(cache=True)
def pair_costs(iou, rows, cols, dets, confidence, fuse, class_aware, track_class, det_class):
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
def unmatched(assignment: np.ndarray, size: int) -> np.ndarray:
    """Mask of the ``size`` columns that ``assignment`` (column per row, -1 for none) left."""
    free = np.ones(size, np.bool_)
    for column in assignment:
        if column >= 0:
            free[column] = False
    return free


@njit(cache=True)
def confirm(rows, state, track_id, next_id):
    """Mark ``rows`` tracked, handing ids (in row order) to those confirmed for the first time;
    returns the next free id (as ``BaseTracker._confirm``)."""
    for r in rows:
        state[r] = TRACKED
        if track_id[r] < 0:
            track_id[r] = next_id
            next_id += 1
    return next_id


@njit(cache=True)
def correct(columns, rows, dets, measurement, noise, confidence, frame_id):
    """Kalman-correct tracks ``rows`` with detections ``dets`` and refresh their bookkeeping
    (as ``BaseTracker._correct``)."""
    _, _, mean, cov, score, _, _, last_frame, hits, det_index = columns
    update_inplace(mean, cov, rows, measurement, noise)
    for k in range(len(rows)):
        score[rows[k]] = confidence[dets[k]]
        last_frame[rows[k]] = frame_id
        hits[rows[k]] += 1
        det_index[rows[k]] = dets[k]


@njit(cache=True)
def start_tracks(columns, first, dets, measurement, initial_std, confidence, det_class, frame_id):
    """Write one tentative track (id -1) per detection ``dets`` into rows ``first``, ``first +
    1``, ...: zero velocity, diagonal covariance ``initial_std^2`` (as ``BaseTracker._new_tracks``).
    """
    track_id, state, mean, cov, score, class_id, start_frame, last_frame, hits, det_index = columns
    for k in range(len(dets)):
        r = first + k
        track_id[r], state[r], score[r] = -1, TENTATIVE, confidence[dets[k]]
        class_id[r], start_frame[r], last_frame[r] = det_class[dets[k]], frame_id, frame_id
        hits[r], det_index[r] = 1, dets[k]
        mean[r] = 0.0
        cov[r] = 0.0
        for j in range(measurement.shape[1]):
            mean[r, j] = measurement[k, j]
        for j in range(mean.shape[1]):
            cov[r, j, j] = initial_std[k, j] * initial_std[k, j]


@njit(cache=True)
def _move_row(dst, src, track_id, state, mean, cov, score, class_id, start, last, hits, det):
    track_id[dst], state[dst], score[dst] = track_id[src], state[src], score[src]
    class_id[dst], start[dst], last[dst] = class_id[src], start[src], last[src]
    hits[dst], det[dst] = hits[src], det[src]
    for i in range(mean.shape[1]):
        mean[dst, i] = mean[src, i]
        for j in range(mean.shape[1]):
            cov[dst, i, j] = cov[src, i, j]


@njit(cache=True)
def _duplicates(state, boxes, duration) -> np.ndarray:
    """Mask of the younger track of each tracked/lost pair with IoU above 0.85 (the reference
    keeps whichever has been alive longer; ties go to the lost track)."""
    active = np.flatnonzero(state != LOST)
    lost = np.flatnonzero(state == LOST)
    drop = np.zeros(len(state), np.bool_)
    if len(active) == 0 or len(lost) == 0:
        return drop
    iou = iou_matrix(boxes[active], boxes[lost])
    for a in range(len(active)):
        for b in range(len(lost)):
            if iou[a, b] > DUPLICATE_IOU:
                older_active = duration[active[a]] > duration[lost[b]]
                drop[lost[b] if older_active else active[a]] = True
    return drop


@njit(cache=True)
def compact(columns, removed) -> int:
    """Move the rows not ``removed`` to the front, in order; returns how many there are."""
    size = 0
    for r in range(len(removed)):
        if not removed[r]:
            if size != r:
                _move_row(size, r, *columns)
            size += 1
    return size


@njit(cache=True)
def _high_boxes(scores, iou, pool, high_threshold, promote_iou, promote_score):
    """Candidates for the first association: high scores, and boxes promoted by overlapping a
    tracked or lost track's prediction (as ``ByteTrackTracker._high_boxes``)."""
    high = scores > high_threshold
    for c in range(len(scores)):
        if high[c] or scores[c] < promote_score:
            continue
        for r in pool:
            if iou[r, c] > promote_iou:
                high[c] = True
                break
    return high


@njit(cache=True)
def byte_step(
    columns,
    n,
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
    promote_iou,
    promote_score,
    fuse,
    class_aware,
    minimum_consecutive_frames,
    max_time_lost,
):
    """Advance the tracks by one frame of BYTE, in place.

    Takes the track columns ``(track_id, state, mean, cov, score, class_id, start_frame,
    last_frame, hits, det_index)``, each its whole storage (:attr:`TrackTable.storage
    <keeptrack.trackers.tracks.TrackTable.storage>`, with room for ``n`` rows plus one per
    detection), and ``n``, the number of live rows; the frame's validated detections; the
    counters; and the tracker's parameters, association limits given as costs
    (``1 - IoU threshold``; ``promote_iou`` is ``inf`` when promotion is off). Removed rows
    are compacted away and new tracks appended.

    Returns:
        ``(n, next_id, det_index, track_id)``: the new number of live rows, the next free id,
        and the tracker's output -- the detection rows of reported tracks and their ids.
    """
    track_id, state, mean, cov, score, class_id, start_frame, last_frame, hits, det_index = columns
    live = state[:n]
    candidates = np.flatnonzero(confidence > low_threshold)
    cand_conf = confidence[candidates]
    pool = np.flatnonzero(live != TENTATIVE)
    tentative = np.flatnonzero(live == TENTATIVE)

    # Predict tracked and lost tracks; lost ones keep their size fixed.
    for r in pool:
        if state[r] == LOST:
            mean[r, 7] = 0.0
            if model == XYWH:
                mean[r, 6] = 0.0
    std = _noise(mean, pool, model, std_position, std_velocity, 1e-2)
    predict_inplace(mean, cov, pool, std, 4)

    # One IoU matrix (all tracks x usable boxes) serves all three associations.
    iou = iou_matrix(_to_xyxy(mean, n, model), xyxy[candidates])
    is_high = _high_boxes(cand_conf, iou, pool, high_threshold, promote_iou, promote_score)
    high_c = np.flatnonzero(is_high)
    low_c = np.flatnonzero(~is_high & (cand_conf < high_threshold))
    high, low = candidates[high_c], candidates[low_c]
    first = pair_costs(iou, pool, high_c, high, confidence, fuse, class_aware, class_id, det_class)
    m1 = assign(first, first_limit)
    remaining = pool[(m1 < 0) & (state[pool] == TRACKED)]
    second = pair_costs(
        iou, remaining, low_c, low, confidence, False, class_aware, class_id, det_class
    )
    m2 = assign(second, second_limit)
    high_free = unmatched(m1, len(high_c))
    high_rest_c, high_rest = high_c[high_free], high[high_free]
    third = pair_costs(
        iou, tentative, high_rest_c, high_rest, confidence, fuse, class_aware, class_id, det_class
    )
    m3 = assign(third, third_limit)

    matched_pool = np.concatenate((pool[m1 >= 0], remaining[m2 >= 0]))
    matched_tentative = tentative[m3 >= 0]
    rows = np.concatenate((matched_pool, matched_tentative))
    dets = np.concatenate((high[m1[m1 >= 0]], low[m2[m2 >= 0]], high_rest[m3[m3 >= 0]]))
    noise = _noise(mean, rows, model, std_position, 0.0, 0.1)
    correct(columns, rows, dets, _to_measurement(xyxy, dets, model), noise, confidence, frame_id)
    next_id = confirm(matched_pool, state, track_id, next_id)
    confirmed = matched_tentative[hits[matched_tentative] >= minimum_consecutive_frames]
    next_id = confirm(confirmed, state, track_id, next_id)
    for r in remaining[m2 < 0]:
        state[r] = LOST

    # Remove unmatched tentative tracks and expired lost ones, then start new tracks from the
    # remaining high boxes that score enough.
    removed = (state[:n] == LOST) & (frame_id - last_frame[:n] > max_time_lost)
    removed[tentative[m3 < 0]] = True
    spawn = high_rest[unmatched(m3, len(high_rest))]
    spawn = spawn[confidence[spawn] >= activation_threshold]
    size = compact(columns, removed)
    measurement = _to_measurement(xyxy, spawn, model)
    initial = _noise(
        measurement, np.arange(len(spawn)), model, 2 * std_position, 10 * std_velocity, 1e-2
    )
    start_tracks(columns, size, spawn, measurement, initial, confidence, det_class, frame_id)
    if frame_id == 1 or minimum_consecutive_frames <= 1:
        next_id = confirm(np.arange(size, size + len(spawn)), state, track_id, next_id)
    size += len(spawn)

    duration = last_frame[:size] - start_frame[:size]
    drop = _duplicates(state[:size], _to_xyxy(mean, size, model), duration)
    n = compact(columns, drop)
    reported = np.flatnonzero((state[:n] == TRACKED) & (last_frame[:n] == frame_id))
    return n, next_id, det_index[reported], track_id[reported]

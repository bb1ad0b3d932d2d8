"""One SORT frame as one compiled call (see :mod:`keeptrack.trackers.byte_kernel` for why).

The same algorithm, bit for bit, as :meth:`keeptrack.trackers.sort.SORTTracker._step`, which
stays the readable reference and the path for oriented boxes; ``tests/test_compiled_steps.py``
checks that both give identical tracks on MOT17. The building blocks (IoU, costs, assignment,
Kalman arithmetic, row bookkeeping) are the ones the BYTE step uses.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.association.assignment import assign
from keeptrack.geometry import _EPS
from keeptrack.motion.kalman import predict_inplace
from keeptrack.trackers.byte_kernel import (
    compact,
    confirm,
    correct,
    iou_matrix,
    pair_costs,
    start_tracks,
    unmatched,
)
from keeptrack.trackers.tracks import LOST, TENTATIVE


@njit(cache=True)
def _xysr_to_xyxy(mean: np.ndarray, n: int) -> np.ndarray:
    """Boxes of the first ``n`` tracks, as ``keeptrack.geometry.xysr_to_xyxy`` computes them."""
    out = np.empty((n, 4))
    for r in range(n):
        area, ratio = max(mean[r, 2], 0.0), max(mean[r, 3], _EPS)
        w = np.sqrt(area * ratio)
        h = area / max(w, _EPS)
        out[r, 0] = mean[r, 0] - w / 2
        out[r, 1] = mean[r, 1] - h / 2
        out[r, 2] = mean[r, 0] + w / 2
        out[r, 3] = mean[r, 1] + h / 2
    return out


@njit(cache=True)
def _xysr_measurements(xyxy: np.ndarray, dets: np.ndarray) -> np.ndarray:
    out = np.empty((len(dets), 4))
    for k in range(len(dets)):
        x1, y1, x2, y2 = xyxy[dets[k], 0], xyxy[dets[k], 1], xyxy[dets[k], 2], xyxy[dets[k], 3]
        w, h = x2 - x1, y2 - y1
        out[k, 0] = x1 + w / 2
        out[k, 1] = y1 + h / 2
        out[k, 2] = w * h
        out[k, 3] = w / max(h, _EPS)
    return out


@njit(cache=True)
def _repeat(row: np.ndarray, count: int) -> np.ndarray:
    out = np.empty((count, len(row)))
    for k in range(count):
        out[k] = row
    return out


@njit(cache=True)
def sort_step(
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
    activation_threshold,
    limit,
    class_aware,
    minimum_consecutive_frames,
    max_age,
):
    """Advance the tracks by one frame of SORT, in place.

    Arguments are those of :func:`~keeptrack.trackers.byte_kernel.byte_step` where they share a
    name; ``process_std``, ``measurement_std`` and ``initial_std`` are the XYSR filter's fixed
    noise standard deviations and ``limit`` is ``1 - minimum_iou_threshold``.

    Returns:
        ``(n, next_id, det_index, track_id)`` as :func:`~keeptrack.trackers.byte_kernel.byte_step`.
    """
    track_id, state, mean, cov, score, class_id, start_frame, last_frame, hits, det_index = columns
    rows = np.arange(n)
    # A prediction that would make the area negative first stops the area from shrinking.
    for r in rows:
        if mean[r, 6] + mean[r, 2] <= 0:
            mean[r, 6] = 0.0
    predict_inplace(mean, cov, rows, _repeat(process_std, n), 3)

    usable = np.flatnonzero(confidence >= activation_threshold)
    iou = iou_matrix(_xysr_to_xyxy(mean, n), xyxy[usable])
    cost = pair_costs(
        iou,
        rows,
        np.arange(len(usable)),
        usable,
        confidence,
        False,
        class_aware,
        class_id,
        det_class,
    )
    match = assign(cost, limit)
    matched = rows[match >= 0]
    dets = usable[match[match >= 0]]
    noise = _repeat(measurement_std, len(matched))
    correct(columns, matched, dets, _xysr_measurements(xyxy, dets), noise, confidence, frame_id)

    spawn = usable[unmatched(match, len(usable))]
    measurement = _xysr_measurements(xyxy, spawn)
    initial = _repeat(initial_std, len(spawn))
    start_tracks(columns, n, spawn, measurement, initial, confidence, det_class, frame_id)
    n += len(spawn)

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

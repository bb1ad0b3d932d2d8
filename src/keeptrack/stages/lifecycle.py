"""Births, confirmation, removal and compaction of tracks, as compiled stages.

Tracks live in the preallocated columns of a :class:`~keeptrack.trackers.tracks.TrackTable`;
a step gets them as one tuple (the shared columns of :data:`SHARED_COLUMNS` first, then the
tracker's own) and removes and appends rows in place.
"""

from __future__ import annotations

import numpy as np
from numba import literal_unroll, njit

from keeptrack.stages.boxes import CLASS, SCORE, aligned, iou_matrix, measurements
from keeptrack.stages.kalman import _ANGLE_INITIAL, initial_noise, predicted_xyxy
from keeptrack.trackers.tracks import LOST, TENTATIVE, TRACKED

#: Columns every track has, in the order a step unpacks them.
SHARED_COLUMNS = (
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
    "angle",
    "angle_cov",
)
#: Tracked/lost pairs overlapping more than this are one object twice (ByteTrack reference).
DUPLICATE_IOU = 0.85


@njit(cache=True)
def unmatched(assignment: np.ndarray, size: int) -> np.ndarray:
    """Mask of the ``size`` columns that ``assignment`` (column per row, -1 for none) left."""
    free = np.ones(size, np.bool_)
    for column in assignment:
        if column >= 0:
            free[column] = False
    return free


@njit(cache=True)
def give_ids(rows, track_id, next_id):
    """Hand ids (in row order) to the ``rows`` that have none yet; returns the next free id."""
    for r in rows:
        if track_id[r] < 0:
            track_id[r] = next_id
            next_id += 1
    return next_id


@njit(cache=True)
def confirm(rows, state, track_id, next_id):
    """Mark ``rows`` tracked, handing ids (in row order) to those confirmed for the first time
    (ids come at confirmation, so reported ids have no gaps); returns the next free id."""
    for r in rows:
        state[r] = TRACKED
    return give_ids(rows, track_id, next_id)


@njit(cache=True)
def start_tracks(columns, first, dets, det, model, noise, frame_id):
    """Birth: one tentative track (id -1) per detection ``dets``, in rows ``first``, ``first +
    1``, ...: zero velocity, diagonal covariance (and the angle filter started the same way).

    Returns:
        The frame boxes ``(k, 4)`` the tracks started from.
    """
    track_id, state, mean, cov, score, class_id, start, last, hits, det_index = columns[:10]
    angle, angle_cov = columns[10], columns[11]
    boxes, angles = aligned(det, dets, angle, dets[:0])
    measurement = measurements(boxes, model)
    initial_std = initial_noise(measurement, model, noise)
    for k in range(len(dets)):
        r = first + k
        track_id[r], state[r], score[r] = -1, TENTATIVE, det[dets[k], SCORE]
        class_id[r], start[r], last[r] = int(det[dets[k], CLASS]), frame_id, frame_id
        hits[r], det_index[r] = 1, dets[k]
        mean[r] = 0.0
        cov[r] = 0.0
        for j in range(measurement.shape[1]):
            mean[r, j] = measurement[k, j]
        for j in range(mean.shape[1]):
            cov[r, j, j] = initial_std[k, j] * initial_std[k, j]
        angle[r, 0], angle[r, 1] = angles[k], 0.0
        angle_cov[r] = 0.0
        for j in range(2):
            angle_cov[r, j, j] = _ANGLE_INITIAL[j] * _ANGLE_INITIAL[j]
    return boxes


@njit(cache=True)
def compact(columns, removed) -> int:
    """Removal: move the rows not ``removed`` to the front of every column, in order; returns
    how many there are."""
    keep = np.flatnonzero(~removed)
    for column in literal_unroll(columns):
        for k in range(len(keep)):
            if keep[k] != k:
                column[k] = column[keep[k]]
    return len(keep)


@njit(cache=True)
def duplicates(state, boxes, duration) -> np.ndarray:
    """Mask of the younger track of each tracked/lost pair with IoU above
    :data:`DUPLICATE_IOU` (ByteTrack keeps whichever has been alive longer; ties go to the
    lost track)."""
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
def reported(state, last_frame, n, frame_id) -> np.ndarray:
    """Rows of tracked tracks matched in this frame: what the tracker reports."""
    return np.flatnonzero((state[:n] == TRACKED) & (last_frame[:n] == frame_id))


@njit(cache=True)
def reported_predictions(mean, state, last_frame, n, frame_id, model):
    """``(rows, xyxy)``: the tracks :func:`reported` in frame ``frame_id`` and their boxes one
    frame ahead (:func:`~keeptrack.stages.kalman.predicted_xyxy`), in one call, as frame-free
    camera motion asks for them on every frame."""
    rows = reported(state, last_frame, n, frame_id)
    return rows, predicted_xyxy(mean, rows, model)


@njit(cache=True)
def report_streaks(columns, n, streak, frame_id, minimum_consecutive_frames, next_id, max_age):
    """SORT-family end of frame: report tracks matched now that are confirmed or have been
    matched ``minimum_consecutive_frames`` frames in a row (or at once in the first frames of
    a stream), mark unmatched confirmed tracks lost and delete those unseen for more than
    ``max_age`` frames.

    Returns:
        ``(n, next_id, det_index, track_id)`` as a step returns them.
    """
    track_id, state, last_frame, det_index = columns[0], columns[1], columns[7], columns[9]
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
    n = compact(columns, frame_id - last_frame[:n] > max_age)
    return n, next_id, reported_det, reported_id

"""Ultralytics' rows from keeptrack's track table, and its detections' rounding, compiled:
these run on every frame, so they cost what a few NumPy calls would."""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.stages.boxes import XYAH, state_xyxy
from keeptrack.trackers.tracks import LOST, TRACKED


@njit(cache=True)
def detection_rows(boxes, conf, cls, model, oriented):
    """keeptrack's ``(N, 7)`` detection matrix for Ultralytics' ``xywh`` (or ``xywhr``) boxes:
    the compiled steps' ``[x1, y1, x2, y2, 0, score, class]`` (see
    :func:`keeptrack.detections.from_detection_matrix`), or ``[cx, cy, w, h, angle, score,
    class]`` rows (``box_format="xywhr"``), boxes rounded so that their Kalman measurement is
    the one Ultralytics makes.

    Ultralytics keeps a detection as a ``float32`` top-left/width/height box and turns it into
    the filter's measurement (centre, and aspect ratio for XYAH) in ``float32``. These rows carry
    the same rounded values, so keeptrack's filter sees the same numbers and the Kalman boxes of
    both agree to ``float64`` rounding. (A sum of two ``float32`` numbers is exact in
    ``float64``, so rounding it once is ``float32`` arithmetic.)
    """
    out = np.empty((len(boxes), 7))
    for k in range(len(boxes)):
        w, h = np.float32(boxes[k, 2]), np.float32(boxes[k, 3])
        left = np.float32(boxes[k, 0] - boxes[k, 2] / 2)
        top = np.float32(boxes[k, 1] - boxes[k, 3] / 2)
        cx = np.float64(np.float32(np.float64(left) + np.float64(w) / 2))
        cy = np.float64(np.float32(np.float64(top) + np.float64(h) / 2))
        width, height = np.float64(w), np.float64(h)
        if model == XYAH:
            width = np.float64(np.float32(width / height)) * height
        if oriented:
            out[k, 0], out[k, 1], out[k, 2], out[k, 3] = cx, cy, width, height
            out[k, 4] = boxes[k, 4]
        else:
            out[k, 0], out[k, 1] = cx - width / 2, cy - height / 2
            out[k, 2], out[k, 3] = cx + width / 2, cy + height / 2
            out[k, 4] = 0.0
        out[k, 5], out[k, 6] = conf[k], cls[k]
    return out


@njit(cache=True)
def pool_ranks(ids, state, old_ids, old_state, old_rank, counter):
    """Each track's place in Ultralytics' pools: when it last entered its pool.

    Ultralytics keeps tracked and lost tracks in two lists, each in the order tracks entered
    it, and returns rows in tracked-list order. Each frame the tracked list gains the births
    (by id), then the re-found lost tracks (in lost-list order); the lost list gains the newly
    lost tracks (in tracked-list order). ``ids`` / ``state`` are the tracks now, ``old_*`` the
    tracks and ranks of the previous frame, both sorted by id (keeptrack's table lists tracks
    in birth order, and ids are given at birth).

    Returns:
        ``(rank, counter)``: the ranks of ``ids`` and the next free rank.
    """
    n = len(ids)
    rank = np.zeros(n, np.int64)
    kind = np.zeros(n, np.int64)  # 0 stays, 1 born, 2 re-found, 3 newly lost
    j = 0
    for r in range(n):
        while j < len(old_ids) and old_ids[j] < ids[r]:
            j += 1
        lost = state[r] == LOST
        if j == len(old_ids) or old_ids[j] != ids[r]:
            kind[r] = 1
            continue
        rank[r] = old_rank[j]
        was_lost = old_state[j] == LOST
        if was_lost and not lost:
            kind[r] = 2
        elif lost and not was_lost:
            kind[r] = 3
    for k in (1, 2, 3):
        rows = np.flatnonzero(kind == k)
        rows = rows[np.argsort(rank[rows], kind="mergesort")]
        for row in rows:
            rank[row] = counter
            counter += 1
    return rank, counter


@njit(cache=True)
def output_rows(columns, n, frame_id, model, rank, conf, cls, boxes, oriented):
    """Ultralytics' rows: the tracked tracks matched this frame, in tracked-pool order
    (``rank``), with their Kalman box, id, and the score, class and index of their detection
    (and its angle for oriented boxes). ``columns`` are the table's ``track_id``, ``state``,
    ``last_frame``, ``det_index`` and ``mean``."""
    track_id, state, last_frame, det_index, mean = columns
    rows = np.flatnonzero((state[:n] == TRACKED) & (last_frame[:n] == frame_id))
    rows = rows[np.argsort(rank[rows], kind="mergesort")]
    xyxy = state_xyxy(mean[rows], len(rows), model)
    out = np.empty((len(rows), 9 if oriented else 8), np.float32)
    for k in range(len(rows)):
        d = det_index[rows[k]]
        if oriented:
            out[k, 0] = (xyxy[k, 0] + xyxy[k, 2]) / 2
            out[k, 1] = (xyxy[k, 1] + xyxy[k, 3]) / 2
            out[k, 2] = xyxy[k, 2] - xyxy[k, 0]
            out[k, 3] = xyxy[k, 3] - xyxy[k, 1]
            out[k, 4] = boxes[d, 4]
        else:
            out[k, :4] = xyxy[k]
        out[k, -4] = track_id[rows[k]]
        out[k, -3] = conf[d]
        out[k, -2] = cls[d]
        out[k, -1] = d
    return out


@njit(cache=True)
def ultralytics_rows(
    columns, n, frame_id, model, old_ids, old_state, old_rank, counter, conf, cls, boxes, oriented
):
    """One frame's output in one compiled call: the tracks' pool ranks (:func:`pool_ranks`)
    and the rows (:func:`output_rows`). ``columns`` are the table's ``track_id``, ``state``,
    ``last_frame``, ``det_index`` and ``mean`` storage, the first ``n`` rows live.

    Returns:
        ``(rows, ids, state, rank, counter)``: the output, and what the next frame's ranking
        starts from.
    """
    track_id, state = columns[0][:n].copy(), columns[1][:n].copy()
    rank, counter = pool_ranks(track_id, state, old_ids, old_state, old_rank, counter)
    out = output_rows(columns, n, frame_id, model, rank, conf, cls, boxes, oriented)
    return out, track_id, state, rank, counter

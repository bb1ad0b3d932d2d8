"""Cost matrices as compiled stages: IoU distance, score fusion, the class gate, appearance
given as a matrix, and OC-SORT's direction term."""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.association.direction import _EPS as _DIRECTION_EPS
from keeptrack.stages.boxes import CLASS, SCORE, X1, X2, Y1, Y2

#: No appearance: what a step gets as its appearance matrix when the tracker has no model.
NO_APPEARANCE = np.empty((0, 0))


@njit(cache=True)
def pair_costs(iou, rows, cols, det, dets, fuse, class_aware, track_class):
    """Cost of tracks ``rows`` x detections ``cols`` (``dets`` are their rows in ``det``).

    ``1 - IoU``, or with ``fuse`` ``1 - IoU * score`` (ByteTrack's score fusion); with
    ``class_aware`` cross-class pairs cost ``inf``.
    """
    cost = np.empty((len(rows), len(cols)))
    score, label = det[dets, SCORE], det[dets, CLASS]  # gathered once, not once per track
    for a in range(len(rows)):
        r = rows[a]
        for b in range(len(cols)):
            value = 1.0 - iou[r, cols[b]]
            if fuse:
                value = 1.0 - (1.0 - value) * score[b]
            if class_aware and track_class[r] != label[b]:
                value = np.inf
            cost[a, b] = value
    return cost


@njit(cache=True)
def with_appearance(cost, iou, rows, cols, dets, appearance, threshold, proximity_iou):
    """BoT-SORT's fusion, in place: a pair that is close (IoU at least ``proximity_iou``) and
    similar (``appearance`` distance, tracks x detections, at most ``threshold``) costs the
    smaller of the two; forbidden (``inf``) pairs stay forbidden."""
    for a in range(len(rows)):
        for b in range(len(cols)):
            distance = appearance[rows[a], dets[b]]
            overlap = iou[rows[a], cols[b]]
            if cost[a, b] < np.inf and distance <= threshold and overlap >= proximity_iou:
                cost[a, b] = min(cost[a, b], distance)


@njit(cache=True)
def unit_direction(x0, y0, x1, y1):
    """Unit vector from ``(x0, y0)`` to ``(x1, y1)`` (as ``association.unit_direction``)."""
    dx = x1 - x0
    dy = y1 - y0
    norm = np.sqrt(dx * dx + dy * dy) + _DIRECTION_EPS
    return dx / norm, dy / norm


@njit(cache=True)
def direction_bonus(direction, origin, r, det, d):
    """OC-SORT's OCM agreement in ``[-0.5, 0.5]`` of track ``r``'s direction with the
    direction from its origin to detection ``d``'s centre (as
    ``association.direction_consistency``)."""
    ux, uy = unit_direction(
        origin[r, 0], origin[r, 1], (det[d, X1] + det[d, X2]) / 2, (det[d, Y1] + det[d, Y2]) / 2
    )
    cosine = direction[r, 0] * ux + direction[r, 1] * uy
    cosine = min(max(cosine, -1.0), 1.0)
    return (np.pi / 2 - np.arccos(cosine)) / np.pi


@njit(cache=True)
def shape_gap(track_xyxy, r, det, d):
    """``|w_d - w_t| / max(w_d, w_t) + |h_d - h_t| / max(h_d, h_t)`` of track ``r`` (own-frame
    boxes ``(n, 4)``) and detection ``d``: BoostTrack's shape similarity is ``exp(-gap)``."""
    tw = track_xyxy[r, 2] - track_xyxy[r, 0]
    th = track_xyxy[r, 3] - track_xyxy[r, 1]
    dw = det[d, X2] - det[d, X1]
    dh = det[d, Y2] - det[d, Y1]
    width = abs(dw - tw) / max(dw, tw, _DIRECTION_EPS)
    height = abs(dh - th) / max(dh, th, _DIRECTION_EPS)
    return width + height


@njit(cache=True)
def mahalanobis_similarity(distance, limit):
    """BoostTrack's Mahalanobis similarity: for each track (row), a softmax over the
    detections of ``limit - min(distance, limit)``, zero where ``distance`` exceeds ``limit``
    (a detection outside the track's gate is no evidence, and a track close to several
    detections spreads its vote among them)."""
    out = np.empty_like(distance)
    for r in range(distance.shape[0]):
        total = 0.0
        for c in range(distance.shape[1]):
            # exp(0) = 1 for every detection beyond the limit; only the others need an exp.
            out[r, c] = np.exp(limit - distance[r, c]) if distance[r, c] < limit else 1.0
            total += out[r, c]
        for c in range(distance.shape[1]):
            out[r, c] = out[r, c] / total if distance[r, c] <= limit else 0.0
    return out


@njit(cache=True)
def adaptive_weights(similarity, weight, limit):
    """Deep OC-SORT's adaptive weighting (AW) of an appearance similarity matrix: each entry's
    weight is ``weight`` plus half the gap between the best and second-best similarity of its
    row and half that of its column, each gap capped at ``limit``. An embedding that singles
    out one partner is trusted more than one that resembles several."""
    rows, cols = similarity.shape
    out = np.full((rows, cols), weight)
    for axis in range(2):
        count, other = (rows, cols) if axis == 0 else (cols, rows)
        if other < 2:
            continue
        for i in range(count):
            best, second = -np.inf, -np.inf
            for j in range(other):
                value = similarity[i, j] if axis == 0 else similarity[j, i]
                if value > best:
                    best, second = value, best
                elif value > second:
                    second = value
            bonus = min(best - second, limit) / 2
            for j in range(other):
                if axis == 0:
                    out[i, j] += bonus
                else:
                    out[j, i] += bonus
    return out

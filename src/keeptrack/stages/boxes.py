"""Box kinds and motion models, as compiled stages.

A track's box filter always sees the box in its own frame, ``[cx, cy, ...]`` of a motion model
(:data:`XYAH`, :data:`XYWH`, :data:`XYSR`); oriented boxes add an angle filter on top (the
``angle`` / ``angle_cov`` track columns). The *box kind* decides only which boxes the costs
compare: ``xyxy`` ``(n, 4)`` for axis-aligned tracking, ``[cx, cy, w, h, angle]`` ``(n, 5)``
for oriented tracking, where IoU is the exact rotated IoU. Axis-aligned boxes never pass
through the rotated code, and oriented boxes whose angles are both zero use the axis-aligned
formula, so a stream of oriented boxes at angle 0 is tracked exactly like its ``xyxy`` twin.

Detections reach a step as one ``(N, 7)`` array ``[x1, y1, x2, y2, angle, score, class]``:
the box in its own frame (for axis-aligned input, the box itself), its angle (0 for
axis-aligned input) and its score and class (:func:`detection_matrix`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.geometry import _EPS

#: Motion models, by the ``model`` argument of the stages.
XYAH, XYWH, XYSR = 0, 1, 2
#: Columns of the detection matrix a step takes.
X1, Y1, X2, Y2, ANGLE, SCORE, CLASS = range(7)


@njit(cache=True)
def detection_matrix(xyxy, confidence, class_id, xywhr) -> np.ndarray:
    """The ``(N, 7)`` detection matrix of a frame (see the module docstring), in one pass:
    ``xyxy`` boxes, or oriented ``xywhr`` ones (``(N, 5)``; ``(0, 5)`` for axis-aligned
    input) as their own-frame corners and angle."""
    out = np.empty((len(xyxy), 7))
    for k in range(len(xyxy)):
        if len(xywhr):
            _centred_xyxy(xywhr[k], out[k])
            out[k, ANGLE] = xywhr[k, 4]
        else:
            out[k, X1], out[k, Y1], out[k, X2], out[k, Y2] = (
                xyxy[k, 0],
                xyxy[k, 1],
                xyxy[k, 2],
                xyxy[k, 3],
            )
            out[k, ANGLE] = 0.0
        out[k, SCORE], out[k, CLASS] = confidence[k], class_id[k]
    return out


@njit(cache=True)
def state_xyxy(mean: np.ndarray, n: int, model: int) -> np.ndarray:
    """Boxes ``(n, 4)`` of the first ``n`` states, in each one's own frame."""
    out = np.empty((n, 4))
    for r in range(n):
        if model == XYSR:
            area, ratio = max(mean[r, 2], 0.0), max(mean[r, 3], _EPS)
            w = np.sqrt(area * ratio)
            h = area / max(w, _EPS)
            out[r, 0] = mean[r, 0] - w / 2
            out[r, 1] = mean[r, 1] - h / 2
            out[r, 2] = mean[r, 0] + w / 2
            out[r, 3] = mean[r, 1] + h / 2
            continue
        w = mean[r, 2] * mean[r, 3] if model == XYAH else mean[r, 2]
        half_w, half_h = w / 2, mean[r, 3] / 2
        out[r, 0] = mean[r, 0] - half_w
        out[r, 1] = mean[r, 1] - half_h
        out[r, 2] = mean[r, 0] + half_w
        out[r, 3] = mean[r, 1] + half_h
    return out


@njit(cache=True)
def measurements(xyxy: np.ndarray, model: int) -> np.ndarray:
    """Measurements ``(k, 4)`` of the model for boxes ``xyxy`` ``(k, >=4)``."""
    out = np.empty((len(xyxy), 4))
    for k in range(len(xyxy)):
        x1, y1, x2, y2 = xyxy[k, 0], xyxy[k, 1], xyxy[k, 2], xyxy[k, 3]
        w, h = x2 - x1, y2 - y1
        out[k, 0] = x1 + w / 2
        out[k, 1] = y1 + h / 2
        if model == XYSR:
            out[k, 2] = w * h
            out[k, 3] = w / max(h, _EPS)
        else:
            out[k, 2] = w / max(h, _EPS) if model == XYAH else w
            out[k, 3] = h
    return out


@njit(cache=True)
def normalize_angle(theta: float) -> float:
    """``theta`` wrapped into ``(-pi, pi]``, as :func:`keeptrack.geometry.normalize_angle`."""
    return np.pi - np.mod(np.pi - theta, 2 * np.pi)


@njit(cache=True)
def track_boxes(mean, angle, n, model, oriented) -> np.ndarray:
    """The first ``n`` tracks' boxes in the tracker's box kind (see the module docstring)."""
    xyxy = state_xyxy(mean, n, model)
    if not oriented:
        return xyxy
    out = np.empty((n, 5))
    for r in range(n):
        out[r, 2] = xyxy[r, 2] - xyxy[r, 0]
        out[r, 3] = xyxy[r, 3] - xyxy[r, 1]
        out[r, 0] = xyxy[r, 0] + out[r, 2] / 2
        out[r, 1] = xyxy[r, 1] + out[r, 3] / 2
        out[r, 4] = normalize_angle(angle[r, 0])
    return out


@njit(cache=True)
def detection_boxes(det: np.ndarray, rows: np.ndarray, oriented: bool) -> np.ndarray:
    """Detections ``rows`` in the tracker's box kind."""
    out = np.empty((len(rows), 5 if oriented else 4))
    for k in range(len(rows)):
        d = det[rows[k]]
        if oriented:
            out[k, 2] = d[X2] - d[X1]
            out[k, 3] = d[Y2] - d[Y1]
            out[k, 0] = d[X1] + out[k, 2] / 2
            out[k, 1] = d[Y1] + out[k, 3] / 2
            out[k, 4] = d[ANGLE]
        else:
            out[k, 0], out[k, 1], out[k, 2], out[k, 3] = d[X1], d[Y1], d[X2], d[Y2]
    return out


@njit(cache=True)
def aligned(det: np.ndarray, rows: np.ndarray, angle: np.ndarray, tracks: np.ndarray):
    """Frame boxes ``(k, 4)`` and angles ``(k,)`` of detections ``rows``, each re-expressed
    near its track's angle.

    A rectangle ``(w, h, a)`` is also ``(h, w, a + pi/2)``; detectors report either form, so a
    spinning object's raw angle jumps. The form nearest the track's angle keeps its filters
    continuous (as :func:`keeptrack.geometry.align_xywhr`). With ``tracks`` empty (births) the
    boxes are taken as they are; axis-aligned boxes (angle 0 on both sides) never change.
    """
    boxes = np.empty((len(rows), 4))
    angles = np.empty(len(rows))
    for k in range(len(rows)):
        d = det[rows[k]]
        boxes[k, 0], boxes[k, 1], boxes[k, 2], boxes[k, 3] = d[X1], d[Y1], d[X2], d[Y2]
        angles[k] = d[ANGLE]
        if len(tracks) == 0:
            continue
        quarter = np.rint((angle[tracks[k], 0] - d[ANGLE]) / (np.pi / 2))
        angles[k] = d[ANGLE] + quarter * (np.pi / 2)
        if quarter % 2 != 0:
            cx, cy = (d[X1] + d[X2]) / 2, (d[Y1] + d[Y2]) / 2
            half_w, half_h = (d[Y2] - d[Y1]) / 2, (d[X2] - d[X1]) / 2
            boxes[k, 0], boxes[k, 1] = cx - half_w, cy - half_h
            boxes[k, 2], boxes[k, 3] = cx + half_w, cy + half_h
    return boxes, angles


@njit(cache=True)
def _area(box: np.ndarray) -> float:
    return max(box[2] - box[0], 0.0) * max(box[3] - box[1], 0.0)


@njit(cache=True)
def _areas(xyxy: np.ndarray) -> np.ndarray:
    out = np.empty(len(xyxy))
    for r in range(len(xyxy)):
        out[r] = _area(xyxy[r])
    return out


@njit(cache=True)
def _axis_iou(a: np.ndarray, b: np.ndarray, area_a: float, area_b: float) -> float:
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    if iw <= 0.0 or ih <= 0.0:  # most pairs of a frame are apart: no division for them
        return 0.0
    inter = iw * ih
    return inter / max(area_a + area_b - inter, _EPS)


@njit(cache=True)
def _corners(box: np.ndarray, cos: float, sin: float, out: np.ndarray) -> None:
    """The four corners of ``[cx, cy, w, h, angle]`` into ``out[:4]``, counter-clockwise;
    ``cos`` and ``sin`` are the angle's."""
    ux, uy = cos * box[2] / 2, sin * box[2] / 2
    vx, vy = -sin * box[3] / 2, cos * box[3] / 2
    for k in range(4):
        su = 1.0 if k == 1 or k == 2 else -1.0
        sv = 1.0 if k >= 2 else -1.0
        out[k, 0] = box[0] + su * ux + sv * vx
        out[k, 1] = box[1] + su * uy + sv * vy


@njit(cache=True)
def _clip_side(buffer: np.ndarray, src: int, count: int, axis: int, bound: float, sign: float):
    """Sutherland-Hodgman against one side of an axis-aligned box: the part of polygon
    ``buffer[src, :count]`` where ``sign * (p[axis] - bound) >= 0``, written to
    ``buffer[1 - src]``; returns its number of vertices."""
    dst, other = 1 - src, 1 - axis
    size, prev = 0, count - 1
    side_prev = sign * (buffer[src, prev, axis] - bound)
    for k in range(count):
        side = sign * (buffer[src, k, axis] - bound)
        if (side_prev >= 0) != (side >= 0):
            t = side_prev / (side_prev - side)
            start = buffer[src, prev, other]
            buffer[dst, size, axis] = bound
            buffer[dst, size, other] = start + t * (buffer[src, k, other] - start)
            size += 1
        if side >= 0:
            buffer[dst, size, 0], buffer[dst, size, 1] = buffer[src, k, 0], buffer[src, k, 1]
            size += 1
        prev, side_prev = k, side
    return size


@njit(cache=True)
def _overlap(a, b, corners_a, cos_b: float, sin_b: float, buffer) -> float:
    """Area shared by oriented boxes ``a`` and ``b``: ``a``'s corners are moved into ``b``'s
    own frame, where ``b`` is the axis-aligned ``[-w/2, w/2] x [-h/2, h/2]``, and clipped by
    its four sides in the scratch ``buffer`` ``(2, 12, 2)``. Sides of an axis-aligned box
    take a comparison where a general edge takes a cross product, and the extent of the moved
    corners rejects pairs that do not touch (the separating axes of ``b``) for free."""
    half_w, half_h = b[2] / 2, b[3] / 2
    low_x = low_y = np.inf
    high_x = high_y = -np.inf
    for k in range(4):
        dx, dy = corners_a[k, 0] - b[0], corners_a[k, 1] - b[1]
        x, y = dx * cos_b + dy * sin_b, dy * cos_b - dx * sin_b
        buffer[0, k, 0], buffer[0, k, 1] = x, y
        low_x, high_x = min(low_x, x), max(high_x, x)
        low_y, high_y = min(low_y, y), max(high_y, y)
    if low_x >= half_w or high_x <= -half_w or low_y >= half_h or high_y <= -half_h:
        return 0.0
    if low_x >= -half_w and high_x <= half_w and low_y >= -half_h and high_y <= half_h:
        return a[2] * a[3]  # a lies inside b
    count, src = 4, 0
    # Only the sides that cut a's extent clip it: a pass against any other keeps every vertex
    # in order, and clipping does not widen the extent (beyond the rounding of a vertex it
    # interpolates), so skipping those passes gives the same polygon.
    for axis, bound, sign, cuts in ((0, -half_w, 1.0, low_x < -half_w),
                                    (0, half_w, -1.0, high_x > half_w),
                                    (1, -half_h, 1.0, low_y < -half_h),
                                    (1, half_h, -1.0, high_y > half_h)):  # fmt: skip
        if not cuts:
            continue
        count = _clip_side(buffer, src, count, axis, bound, sign)
        src = 1 - src
        if count == 0:
            return 0.0
    twice, prev = 0.0, count - 1
    for k in range(count):
        twice += buffer[src, prev, 0] * buffer[src, k, 1] - buffer[src, k, 0] * buffer[src, prev, 1]
        prev = k
    return abs(twice) / 2


@njit(cache=True)
def _polygon_iou(a, b, corners_a, cos_b: float, sin_b: float, buffer) -> float:
    """IoU of oriented boxes ``a`` and ``b`` (see :func:`_overlap`)."""
    area_a, area_b = a[2] * a[3], b[2] * b[3]
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = _overlap(a, b, corners_a, cos_b, sin_b, buffer)
    return inter / max(area_a + area_b - inter, _EPS)


@njit(cache=True)
def _all_corners(boxes: np.ndarray):
    """Corners ``(n, 4, 2)`` of oriented boxes, their axis-aligned hulls ``(n, 4)``, and the
    cosines and sines ``(n,)`` of their angles (the clipping needs them too)."""
    corners = np.empty((len(boxes), 4, 2))
    hulls = np.empty((len(boxes), 4))
    cos, sin = np.empty(len(boxes)), np.empty(len(boxes))
    for r in range(len(boxes)):
        cos[r], sin[r] = np.cos(boxes[r, 4]), np.sin(boxes[r, 4])
        _corners(boxes[r], cos[r], sin[r], corners[r])
        hulls[r, 0], hulls[r, 1] = corners[r, 0, 0], corners[r, 0, 1]
        hulls[r, 2], hulls[r, 3] = corners[r, 0, 0], corners[r, 0, 1]
        for k in range(1, 4):
            hulls[r, 0] = min(hulls[r, 0], corners[r, k, 0])
            hulls[r, 1] = min(hulls[r, 1], corners[r, k, 1])
            hulls[r, 2] = max(hulls[r, 2], corners[r, k, 0])
            hulls[r, 3] = max(hulls[r, 3], corners[r, k, 1])
    return corners, hulls, cos, sin


@njit(cache=True)
def oriented_hulls(boxes: np.ndarray) -> np.ndarray:
    """Axis-aligned hulls ``(n, 4)`` of oriented boxes ``[cx, cy, w, h, angle]``."""
    return _all_corners(boxes)[1]


@njit(cache=True)
def rotated_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Exact IoU of two oriented boxes ``[cx, cy, w, h, angle]`` (convex polygon clipping)."""
    corners_a = np.empty((4, 2))
    _corners(a, np.cos(a[4]), np.sin(a[4]), corners_a)
    return _polygon_iou(a, b, corners_a, np.cos(b[4]), np.sin(b[4]), np.empty((2, 12, 2)))


@njit(cache=True)
def _centred_xyxy(box: np.ndarray, out: np.ndarray) -> None:
    """``[cx, cy, w, h, ...]`` as ``xyxy`` into ``out``."""
    out[0], out[1] = box[0] - box[2] / 2, box[1] - box[3] / 2
    out[2], out[3] = box[0] + box[2] / 2, box[1] + box[3] / 2


@njit(cache=True)
def _as_xyxy(boxes: np.ndarray) -> np.ndarray:
    """``[cx, cy, w, h, ...]`` rows as ``xyxy`` ``(n, 4)``."""
    out = np.empty((len(boxes), 4))
    for r in range(len(boxes)):
        _centred_xyxy(boxes[r], out[r])
    return out


@njit(cache=True)
def _clip_pairs(a, b, corners_a, cos_b, sin_b, pairs, out) -> None:
    """Polygon IoU of the pairs marked in ``pairs`` (kept out of :func:`iou_matrix`'s loop,
    which the clipping's scratch buffers would slow down tenfold)."""
    buffer = np.empty((2, 12, 2))
    rows, cols = np.nonzero(pairs)
    for k in range(len(rows)):
        r, c = rows[k], cols[k]
        out[r, c] = _polygon_iou(a[r], b[c], corners_a[r], cos_b[c], sin_b[c], buffer)


@njit(cache=True)
def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` with every box in ``b``, both of one box kind.

    Axis-aligned ``(., 4)`` boxes as :func:`keeptrack.geometry.box_iou`; oriented ``(., 5)``
    boxes exactly, with pairs of unrotated boxes on the axis-aligned formula.
    """
    out = np.empty((len(a), len(b)))
    if a.shape[1] == 4:
        area_a, area_b = _areas(a), _areas(b)
        for r in range(len(a)):
            box = a[r]
            for c in range(len(b)):
                out[r, c] = _axis_iou(box, b[c], area_a[r], area_b[c])
        return out
    corners_a, hulls_a = _all_corners(a)[:2]
    hulls_b, cos_b, sin_b = _all_corners(b)[1:]
    xyxy_a, xyxy_b = _as_xyxy(a), _as_xyxy(b)
    area_a, area_b = _areas(xyxy_a), _areas(xyxy_b)
    rotated = np.zeros((len(a), len(b)), np.bool_)
    for r in range(len(a)):
        for c in range(len(b)):
            if a[r, 4] == 0 and b[c, 4] == 0:
                out[r, c] = _axis_iou(xyxy_a[r], xyxy_b[c], area_a[r], area_b[c])
            else:
                # Boxes whose hulls are apart cannot overlap: most pairs stop here.
                out[r, c] = 0.0
                rotated[r, c] = not (
                    hulls_a[r, 0] >= hulls_b[c, 2]
                    or hulls_b[c, 0] >= hulls_a[r, 2]
                    or hulls_a[r, 1] >= hulls_b[c, 3]
                    or hulls_b[c, 1] >= hulls_a[r, 3]
                )
    _clip_pairs(a, b, corners_a, cos_b, sin_b, rotated, out)
    return out


@njit(cache=True)
def _centred(boxes: np.ndarray) -> np.ndarray:
    """Boxes of either kind as ``[cx, cy, w, h, angle]`` ``(n, 5)``."""
    out = np.zeros((len(boxes), 5))
    for r in range(len(boxes)):
        if boxes.shape[1] == 4:
            out[r, 2], out[r, 3] = boxes[r, 2] - boxes[r, 0], boxes[r, 3] - boxes[r, 1]
            out[r, 0], out[r, 1] = (boxes[r, 0] + boxes[r, 2]) / 2, (boxes[r, 1] + boxes[r, 3]) / 2
        else:
            out[r] = boxes[r, :5]
    return out


@njit(cache=True)
def _grown(box: np.ndarray, grow: float, out: np.ndarray) -> None:
    """``[cx, cy, w, h, angle]`` ``box`` with width and height scaled by ``grow``, into ``out``."""
    out[0], out[1], out[2], out[3], out[4] = box[0], box[1], box[2] * grow, box[3] * grow, box[4]


@njit(cache=True)
def soft_biou_matrix(tracks, dets, confidence, track_buffer, det_buffer) -> np.ndarray:
    """BoostTrack++'s soft buffered IoU of every track with every detection, one box kind.

    Buffered IoU (C-BIoU, Yang et al. 2023) widens both boxes before the IoU so that a fast or
    briefly missed object still overlaps its track; the soft version widens each pair by how
    little the track is trusted: track ``r``'s box grows by ``track_buffer * (1 -
    confidence[r])`` of its size on every side, each detection's by ``det_buffer * (1 -
    confidence[r])``. Oriented boxes grow about their centres and use the rotated IoU.
    """
    out = np.zeros((len(tracks), len(dets)))
    ta, db = _centred(tracks), _centred(dets)
    a, b = np.empty(5), np.empty(5)
    xa, xb = np.empty(4), np.empty(4)
    for r in range(len(tracks)):
        doubt = 1.0 - confidence[r]
        grow_a, grow_b = 1.0 + 2.0 * track_buffer * doubt, 1.0 + 2.0 * det_buffer * doubt
        for c in range(len(dets)):
            # Half-diagonals bound the grown boxes' reach: most pairs are apart beyond it.
            reach = (grow_a * (ta[r, 2] + ta[r, 3]) + grow_b * (db[c, 2] + db[c, 3])) / 2
            if abs(ta[r, 0] - db[c, 0]) >= reach or abs(ta[r, 1] - db[c, 1]) >= reach:
                continue
            _grown(ta[r], grow_a, a)
            _grown(db[c], grow_b, b)
            if a[4] == 0 and b[4] == 0:
                _centred_xyxy(a, xa)
                _centred_xyxy(b, xb)
                out[r, c] = _axis_iou(xa, xb, a[2] * a[3], b[2] * b[3])
            else:
                out[r, c] = rotated_iou(a, b)
    return out

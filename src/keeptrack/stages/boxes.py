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
axis-aligned input) and its score and class (see :func:`detection_matrix`).
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
def _axis_iou(a: np.ndarray, b: np.ndarray, area_a: float, area_b: float) -> float:
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    inter = max(iw, 0.0) * max(ih, 0.0)
    return inter / max(area_a + area_b - inter, _EPS)


@njit(cache=True)
def _corners(box: np.ndarray, out: np.ndarray) -> None:
    """The four corners of ``[cx, cy, w, h, angle]`` into ``out[:4]``, counter-clockwise."""
    cos, sin = np.cos(box[4]), np.sin(box[4])
    ux, uy = cos * box[2] / 2, sin * box[2] / 2
    vx, vy = -sin * box[3] / 2, cos * box[3] / 2
    for k, (su, sv) in enumerate(((-1.0, -1.0), (1.0, -1.0), (1.0, 1.0), (-1.0, 1.0))):
        out[k, 0] = box[0] + su * ux + sv * vx
        out[k, 1] = box[1] + su * uy + sv * vy


@njit(cache=True)
def _clip(polygon: np.ndarray, count: int, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> int:
    """Sutherland-Hodgman: the part of ``polygon[:count]`` left of the edge ``a -> b``, into
    ``out``; returns its number of vertices."""
    size = 0
    ex, ey = b[0] - a[0], b[1] - a[1]
    for k in range(count):
        p, q = polygon[k], polygon[(k + 1) % count]
        side_p = ex * (p[1] - a[1]) - ey * (p[0] - a[0])
        side_q = ex * (q[1] - a[1]) - ey * (q[0] - a[0])
        if side_p >= 0:
            out[size, 0], out[size, 1] = p[0], p[1]
            size += 1
        if (side_p >= 0) != (side_q >= 0):
            t = side_p / (side_p - side_q)
            out[size, 0] = p[0] + t * (q[0] - p[0])
            out[size, 1] = p[1] + t * (q[1] - p[1])
            size += 1
    return size


@njit(cache=True)
def rotated_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Exact IoU of two oriented boxes ``[cx, cy, w, h, angle]`` (convex polygon clipping)."""
    area_a, area_b = a[2] * a[3], b[2] * b[3]
    if area_a <= 0 or area_b <= 0:
        return 0.0
    # Boxes whose circumscribed circles are apart cannot overlap: most pairs stop here.
    reach = (np.sqrt(a[2] * a[2] + a[3] * a[3]) + np.sqrt(b[2] * b[2] + b[3] * b[3])) / 2
    dx, dy = a[0] - b[0], a[1] - b[1]
    if dx * dx + dy * dy >= reach * reach:
        return 0.0
    polygon, spare, edges = np.empty((12, 2)), np.empty((12, 2)), np.empty((4, 2))
    _corners(a, polygon)
    _corners(b, edges)
    count = 4
    for k in range(4):
        count = _clip(polygon, count, edges[k], edges[(k + 1) % 4], spare)
        polygon, spare = spare, polygon
        if count == 0:
            return 0.0
    inter = 0.0
    for k in range(count):
        p, q = polygon[k], polygon[(k + 1) % count]
        inter += p[0] * q[1] - q[0] * p[1]
    inter = abs(inter) / 2
    return inter / max(area_a + area_b - inter, _EPS)


@njit(cache=True)
def _as_xyxy(box: np.ndarray) -> np.ndarray:
    return np.array(
        [box[0] - box[2] / 2, box[1] - box[3] / 2, box[0] + box[2] / 2, box[1] + box[3] / 2]
    )


@njit(cache=True)
def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box in ``a`` with every box in ``b``, both of one box kind.

    Axis-aligned ``(., 4)`` boxes as :func:`keeptrack.geometry.box_iou`; oriented ``(., 5)``
    boxes exactly, with pairs of unrotated boxes on the axis-aligned formula.
    """
    out = np.empty((len(a), len(b)))
    if a.shape[1] == 4:
        area_a = np.array([_area(box) for box in a])
        area_b = np.array([_area(box) for box in b])
        for r in range(len(a)):
            for c in range(len(b)):
                out[r, c] = _axis_iou(a[r], b[c], area_a[r], area_b[c])
        return out
    for r in range(len(a)):
        for c in range(len(b)):
            if a[r, 4] == 0 and b[c, 4] == 0:
                ax, bx = _as_xyxy(a[r]), _as_xyxy(b[c])
                out[r, c] = _axis_iou(ax, bx, _area(ax), _area(bx))
            else:
                out[r, c] = rotated_iou(a[r], b[c])
    return out

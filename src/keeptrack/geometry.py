"""Box formats and the batched IoU family.

Every function takes ``(N, 4)`` float arrays and works on the whole batch in one NumPy call,
so trackers never loop over boxes in Python. Formats:

- ``xyxy``: ``[x1, y1, x2, y2]`` corners (the public format, as in ``supervision``).
- ``tlwh``: ``[left, top, width, height]`` (MOTChallenge files, DeepSORT).
- ``xywh``: ``[cx, cy, width, height]`` centre form (BoT-SORT's Kalman state).
- ``xyah``: ``[cx, cy, width / height, height]`` (ByteTrack / DeepSORT Kalman state).
- ``xysr``: ``[cx, cy, area, width / height]`` (SORT / OC-SORT Kalman state).
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-9


def xyxy_to_tlwh(boxes: np.ndarray) -> np.ndarray:
    """Convert corner boxes to ``[left, top, width, height]``."""
    out = np.array(boxes, dtype=np.float64, copy=True)
    out[..., 2:] -= out[..., :2]
    return out


def tlwh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """Convert ``[left, top, width, height]`` boxes to corners."""
    out = np.array(boxes, dtype=np.float64, copy=True)
    out[..., 2:] += out[..., :2]
    return out


def xyxy_to_xywh(boxes: np.ndarray) -> np.ndarray:
    """Convert corner boxes to centre form ``[cx, cy, w, h]``."""
    boxes = np.asarray(boxes, dtype=np.float64)
    wh = boxes[..., 2:] - boxes[..., :2]
    return np.concatenate([boxes[..., :2] + wh / 2, wh], axis=-1)


def xywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """Convert centre form ``[cx, cy, w, h]`` to corners."""
    boxes = np.asarray(boxes, dtype=np.float64)
    half = boxes[..., 2:] / 2
    return np.concatenate([boxes[..., :2] - half, boxes[..., :2] + half], axis=-1)


def xyxy_to_xyah(boxes: np.ndarray) -> np.ndarray:
    """Convert corner boxes to ``[cx, cy, aspect = w / h, h]``."""
    out = xyxy_to_xywh(boxes)
    out[..., 2] /= np.maximum(out[..., 3], _EPS)
    return out


def xyah_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """Convert ``[cx, cy, aspect, h]`` boxes to corners."""
    boxes = np.asarray(boxes, dtype=np.float64)
    xywh = boxes[..., :4].copy()
    xywh[..., 2] *= xywh[..., 3]
    return xywh_to_xyxy(xywh)


def xyxy_to_xysr(boxes: np.ndarray) -> np.ndarray:
    """Convert corner boxes to ``[cx, cy, area = w * h, ratio = w / h]``."""
    out = xyxy_to_xywh(boxes)
    w, h = out[..., 2].copy(), out[..., 3].copy()
    out[..., 2] = w * h
    out[..., 3] = w / np.maximum(h, _EPS)
    return out


def xysr_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """Convert ``[cx, cy, area, ratio]`` boxes to corners.

    A negative area (possible after a Kalman prediction with a shrinking velocity) is clipped to
    zero so the result is a degenerate box rather than NaN.
    """
    boxes = np.asarray(boxes, dtype=np.float64)
    area = np.maximum(boxes[..., 2], 0.0)
    ratio = np.maximum(boxes[..., 3], _EPS)
    w = np.sqrt(area * ratio)
    h = area / np.maximum(w, _EPS)
    return xywh_to_xyxy(np.stack([boxes[..., 0], boxes[..., 1], w, h], axis=-1))


def box_area(boxes: np.ndarray) -> np.ndarray:
    """Area of corner boxes; degenerate boxes have area zero."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return np.maximum(boxes[..., 2] - boxes[..., 0], 0.0) * np.maximum(
        boxes[..., 3] - boxes[..., 1], 0.0
    )


def _intersection_union(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Written with explicit minimum/maximum on columns: for tracker-sized inputs (tens of boxes)
    # NumPy's per-call overhead dominates, and this form needs the fewest calls.
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.maximum(iw, 0.0, out=iw) * np.maximum(ih, 0.0, out=ih)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter, union


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (M, 4) with every box in ``b`` (N, 4).

    Returns:
        ``(M, N)`` IoU matrix; pairs whose union is zero get IoU 0.
    """
    inter, union = _intersection_union(a, b)
    return inter / np.maximum(union, _EPS)


def _enclosing(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.minimum(a[:, None, :2], b[None, :, :2])
    rb = np.maximum(a[:, None, 2:], b[None, :, 2:])
    return lt, rb


def box_giou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Generalised IoU (Rezatofighi et al., 2019): IoU minus the empty share of the hull."""
    inter, union = _intersection_union(a, b)
    iou = inter / np.maximum(union, _EPS)
    lt, rb = _enclosing(a, b)
    hull = np.prod(np.clip(rb - lt, 0, None), axis=-1)
    return iou - np.divide(hull - union, hull, out=np.zeros_like(hull), where=hull > 0)


def _centre_distance_terms(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    ca = (a[:, :2] + a[:, 2:]) / 2
    cb = (b[:, :2] + b[:, 2:]) / 2
    rho2 = np.sum((ca[:, None, :] - cb[None, :, :]) ** 2, axis=-1)
    lt, rb = _enclosing(a, b)
    c2 = np.sum((rb - lt) ** 2, axis=-1)
    return rho2, c2


def box_diou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance IoU (Zheng et al., 2020): IoU minus normalised centre distance."""
    iou = box_iou(a, b)
    rho2, c2 = _centre_distance_terms(a, b)
    return iou - np.divide(rho2, c2, out=np.zeros_like(rho2), where=c2 > 0)


def box_ciou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Complete IoU (Zheng et al., 2020): DIoU plus an aspect-ratio consistency penalty."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    iou = box_iou(a, b)
    rho2, c2 = _centre_distance_terms(a, b)
    wa, ha = a[:, 2] - a[:, 0], np.maximum(a[:, 3] - a[:, 1], _EPS)
    wb, hb = b[:, 2] - b[:, 0], np.maximum(b[:, 3] - b[:, 1], _EPS)
    v = (4 / np.pi**2) * (np.arctan(wb / hb)[None, :] - np.arctan(wa / ha)[:, None]) ** 2
    alpha = np.divide(v, 1 - iou + v, out=np.zeros_like(v), where=(1 - iou + v) > 0)
    return iou - np.divide(rho2, c2, out=np.zeros_like(rho2), where=c2 > 0) - alpha * v


# --- oriented boxes ------------------------------------------------------------------------
# ``xywhr``: ``[cx, cy, w, h, angle]`` with the angle in radians, counter-clockwise from the
# x axis to the box's width side in image coordinates (the Ultralytics OBB convention), always
# normalised into ``(-pi, pi]``. Corners follow the same convention as ``xyxyxyxy`` arrays
# ``(N, 4, 2)``: ``c + u + v, c + u - v, c - u - v, c - u + v`` with ``u`` half the width
# vector and ``v`` half the height vector.


def normalize_angle(theta: np.ndarray) -> np.ndarray:
    """Wrap angles into ``(-pi, pi]`` (input outside that range is normalised, never rejected)."""
    return np.pi - np.mod(np.pi - np.asarray(theta, dtype=np.float64), 2 * np.pi)


def _half_axes(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cos, sin = np.cos(boxes[..., 4]), np.sin(boxes[..., 4])
    u = np.stack([cos, sin], axis=-1) * (boxes[..., 2:3] / 2)
    v = np.stack([-sin, cos], axis=-1) * (boxes[..., 3:4] / 2)
    return u, v


def xywhr_to_corners(boxes: np.ndarray) -> np.ndarray:
    """Oriented boxes ``(N, 5)`` -> corner points ``(N, 4, 2)``."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 5)
    u, v = _half_axes(boxes)
    c = boxes[:, :2]
    return np.stack([c + u + v, c + u - v, c - u - v, c - u + v], axis=1)


def corners_to_xywhr(corners: np.ndarray) -> np.ndarray:
    """Corner points ``(N, 4, 2)`` or ``(N, 8)`` of rectangles -> ``(N, 5)`` oriented boxes.

    The width side is the one joining the midpoint of edge 0-1 to the centre, so boxes made by
    :func:`xywhr_to_corners` (and Ultralytics / supervision ``xyxyxyxy``) round-trip exactly up
    to the angle normalisation; other corner orders still give the same rectangle.
    """
    corners = np.asarray(corners, dtype=np.float64).reshape(-1, 4, 2)
    c = corners.mean(axis=1)
    u = (corners[:, 0] + corners[:, 1]) / 2 - c
    v = (corners[:, 0] + corners[:, 3]) / 2 - c
    w, h = 2 * np.linalg.norm(u, axis=1), 2 * np.linalg.norm(v, axis=1)
    angle = normalize_angle(np.arctan2(u[:, 1], u[:, 0]))
    return np.column_stack([c, w, h, angle])


def xywhr_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """The axis-aligned box enclosing each oriented box (what ``supervision`` stores as xyxy).

    Compiled (the corners and hulls the rotated IoU uses): every oriented frame needs them.
    """
    from keeptrack.stages.boxes import oriented_hulls  # imported on first use: it loads Numba

    return oriented_hulls(np.ascontiguousarray(np.asarray(boxes, dtype=np.float64).reshape(-1, 5)))


def align_xywhr(boxes: np.ndarray, reference_angle: np.ndarray) -> np.ndarray:
    """Re-express each box with the angle closest to ``reference_angle``.

    A rectangle ``(w, h, a)`` is also ``(h, w, a + pi/2)`` and ``(w, h, a + pi)``; detectors
    report one of these arbitrarily (Ultralytics keeps angles in ``[0, pi/2)`` and swaps width
    and height instead), so a spinning object's raw angle jumps. Picking the equivalent form
    nearest the track's predicted angle keeps the Kalman state continuous.

    Returns:
        ``(N, 5)`` boxes whose angle may lie outside ``(-pi, pi]`` (it is a filter input).
    """
    boxes = np.array(boxes, dtype=np.float64, copy=True).reshape(-1, 5)
    quarter = np.round((np.asarray(reference_angle) - boxes[:, 4]) / (np.pi / 2))
    boxes[:, 4] += quarter * (np.pi / 2)
    swap = np.mod(quarter, 2) == 1
    boxes[swap, 2], boxes[swap, 3] = boxes[swap, 3], boxes[swap, 2].copy()
    return boxes


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _inside(points: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Whether ``points`` (..., K, 2) lie in the oriented ``boxes`` (..., 5), edges included."""
    d = points - boxes[..., None, :2]
    cos, sin = np.cos(boxes[..., None, 4]), np.sin(boxes[..., None, 4])
    along = d[..., 0] * cos + d[..., 1] * sin
    across = -d[..., 0] * sin + d[..., 1] * cos
    tol = 1e-9 * (1 + np.abs(boxes[..., None, 2:4]).max(axis=-1))
    return (np.abs(along) <= boxes[..., None, 2] / 2 + tol) & (
        np.abs(across) <= boxes[..., None, 3] / 2 + tol
    )


def _convex_intersection_area(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Area of the intersection of oriented boxes ``a`` (K, 5) and ``b`` (K, 5), pairwise.

    The intersection of two convex polygons is the convex hull of the corners of each inside
    the other plus the crossing points of their edges; sorting those points by angle around
    their mean and applying the shoelace formula gives its area without any Python loop.
    """
    ca, cb = xywhr_to_corners(a), xywhr_to_corners(b)
    ea, eb = np.roll(ca, -1, axis=1) - ca, np.roll(cb, -1, axis=1) - cb
    r, q = ea[:, :, None, :], eb[:, None, :, :]
    offset = cb[:, None, :, :] - ca[:, :, None, :]
    denom = _cross(r, q)
    ok = np.abs(denom) > 1e-12
    safe = np.where(ok, denom, 1.0)
    t, s = _cross(offset, q) / safe, _cross(offset, r) / safe
    crossing = ok & (t >= 0) & (t <= 1) & (s >= 0) & (s <= 1)
    cross_points = ca[:, :, None, :] + t[..., None] * r
    points = np.concatenate([ca, cb, cross_points.reshape(-1, 16, 2)], axis=1)
    valid = np.concatenate([_inside(ca, b), _inside(cb, a), crossing.reshape(-1, 16)], axis=1)
    count = valid.sum(axis=1)
    centre = (points * valid[..., None]).sum(axis=1) / np.maximum(count, 1)[:, None]
    rel = points - centre[:, None, :]
    angle = np.where(valid, np.arctan2(rel[..., 1], rel[..., 0]), np.inf)
    order = np.argsort(angle, axis=1)
    rel = np.take_along_axis(rel, order[..., None], axis=1)
    valid = np.take_along_axis(valid, order, axis=1)
    rel = np.where(valid[..., None], rel, rel[:, :1, :])
    area = 0.5 * np.abs(_cross(rel, np.roll(rel, -1, axis=1)).sum(axis=1))
    return np.where(count >= 3, area, 0.0)


def box_iou_rotated(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact IoU of every oriented box in ``a`` (M, 5) with every one in ``b`` (N, 5).

    Pairs in which both angles are exactly zero use :func:`box_iou`, so axis-aligned input
    gives bit-identical costs (and therefore identical tracks) to the ``xyxy`` path.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 5)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 5)
    iou = box_iou(xywh_to_xyxy(a[:, :4]), xywh_to_xyxy(b[:, :4]))
    rotated = (a[:, None, 4] != 0) | (b[None, :, 4] != 0)
    if not rotated.any():
        return iou
    rows, cols = np.nonzero(rotated)
    inter = _convex_intersection_area(a[rows], b[cols])
    area_a, area_b = a[rows, 2] * a[rows, 3], b[cols, 2] * b[cols, 3]
    union = area_a + area_b - inter
    iou[rows, cols] = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
    return iou


def _gaussian(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covariance entries ``(a, b, c)`` of ``[[a, c], [c, b]]`` for each box as a uniform blob."""
    w2, h2 = boxes[:, 2] ** 2 / 12, boxes[:, 3] ** 2 / 12
    cos2, sin2 = np.cos(boxes[:, 4]) ** 2, np.sin(boxes[:, 4]) ** 2
    cs = np.cos(boxes[:, 4]) * np.sin(boxes[:, 4])
    return w2 * cos2 + h2 * sin2, w2 * sin2 + h2 * cos2, (w2 - h2) * cs


def probiou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """ProbIoU (Llerena et al., 2021) of oriented boxes ``a`` (M, 5) and ``b`` (N, 5).

    Each box becomes a 2-D Gaussian with the box's covariance; the similarity is one minus the
    Hellinger distance derived from the Bhattacharyya distance. Smooth and differentiable, and
    cheaper than polygon clipping, but not equal to IoU even for axis-aligned boxes.
    """
    a = np.asarray(a, dtype=np.float64).reshape(-1, 5)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 5)
    a1, b1, c1 = (x[:, None] for x in _gaussian(a))
    a2, b2, c2 = (x[None, :] for x in _gaussian(b))
    dx = a[:, None, 0] - b[None, :, 0]
    dy = a[:, None, 1] - b[None, :, 1]
    sa, sb, sc = (a1 + a2) / 2, (b1 + b2) / 2, (c1 + c2) / 2
    det = np.maximum(sa * sb - sc**2, _EPS)
    mahalanobis = (sb * dx**2 + sa * dy**2 - 2 * sc * dx * dy) / det
    det1 = np.maximum(a1 * b1 - c1**2, _EPS)
    det2 = np.maximum(a2 * b2 - c2**2, _EPS)
    bhattacharyya = mahalanobis / 8 + 0.5 * np.log(det / np.sqrt(det1 * det2))
    hellinger = np.sqrt(np.clip(1 - np.exp(-bhattacharyya), 0, 1))
    return 1 - hellinger


def pairwise_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU matrix for either box kind: ``xyxy`` ``(M, 4)`` / ``(N, 4)`` or ``xywhr`` ``(., 5)``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape[-1] != b.shape[-1] or a.shape[-1] not in (4, 5):
        raise ValueError(
            f"boxes must both be xyxy (.., 4) or both xywhr (.., 5); got {a.shape} and {b.shape}"
        )
    return box_iou(a, b) if a.shape[-1] == 4 else box_iou_rotated(a, b)

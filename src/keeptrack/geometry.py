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
    return np.clip(boxes[..., 2] - boxes[..., 0], 0, None) * np.clip(
        boxes[..., 3] - boxes[..., 1], 0, None
    )


def _intersection_union(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter, union


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (M, 4) with every box in ``b`` (N, 4).

    Returns:
        ``(M, N)`` IoU matrix; pairs whose union is zero get IoU 0.
    """
    inter, union = _intersection_union(a, b)
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def _enclosing(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.minimum(a[:, None, :2], b[None, :, :2])
    rb = np.maximum(a[:, None, 2:], b[None, :, 2:])
    return lt, rb


def box_giou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Generalised IoU (Rezatofighi et al., 2019): IoU minus the empty share of the hull."""
    inter, union = _intersection_union(a, b)
    iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
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

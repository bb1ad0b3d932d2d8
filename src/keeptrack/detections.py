"""The one input adapter: whatever a detector produced -> validated arrays -> the same kind back.

Trackers accept

- ``supervision.Detections`` -- returned as ``supervision.Detections`` (the same class, the
  matched rows, every field such as ``data``, ``mask``, ``class_id``, ``confidence`` carried
  through, ``tracker_id`` set);
- NumPy arrays (or nested lists) of shape ``(N, 4)``, ``(N, 5)`` or ``(N, 6)`` holding
  ``[x1, y1, x2, y2, score, class]`` -- returned as a float64 array ``(M, 8)`` of
  ``[x1, y1, x2, y2, track_id, score, class, det_index]``. A missing score means 1.0, a missing
  class means 0.

Oriented boxes (``xywhr``: centre, width, height, angle in radians; angles outside
``(-pi, pi]`` are wrapped, not rejected) come as

- ``supervision.Detections`` whose ``data["xyxyxyxy"]`` holds the ``(N, 4, 2)`` corners (what
  ``sv.Detections.from_ultralytics`` gives for OBB models) -- returned as above;
- arrays of shape ``(N, 7)`` ``[cx, cy, w, h, angle, score, class]`` (Ultralytics
  ``result.obb.data``) -- returned as ``(M, 9)`` ``[cx, cy, w, h, angle, track_id, score,
  class, det_index]`` (:data:`OBB_OUTPUT_COLUMNS`).

Output rows are the input detections that belong to a confirmed track in this frame, in input
order (``det_index`` ascending), with the detection's own box. Detections that were not
matched, that started a track still waiting for confirmation, or that were ignored (below
every score threshold) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from keeptrack import geometry

try:  # supervision is a core dependency; the guard keeps this module importable for tools.
    import supervision as sv
except ImportError:  # pragma: no cover
    sv = None

#: Columns of the NumPy output.
OUTPUT_COLUMNS = ("x1", "y1", "x2", "y2", "track_id", "score", "class", "det_index")
#: Columns of the NumPy output for oriented-box input.
OBB_OUTPUT_COLUMNS = ("cx", "cy", "w", "h", "angle", "track_id", "score", "class", "det_index")
#: ``supervision.Detections.data`` key of oriented-box corners (supervision's own name).
ORIENTED_KEY = "xyxyxyxy"


@dataclass(frozen=True)
class DetectionArrays:
    """Validated detections of one frame as plain arrays.

    Attributes:
        xyxy: ``(N, 4)`` float64 corner boxes.
        confidence: ``(N,)`` float64 scores in ``[0, 1]``.
        class_id: ``(N,)`` int64 class labels.
        source: The ``supervision.Detections`` this came from, or ``None`` for NumPy input.
        xywhr: ``(N, 5)`` oriented boxes (angle in ``(-pi, pi]``) for oriented input, else
            ``None``; ``xyxy`` then holds each box's axis-aligned hull.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    source: Any = None
    xywhr: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.xyxy)

    def subset(self, index: np.ndarray) -> DetectionArrays:
        """Rows ``index`` as a new batch (used by trackers that filter before matching)."""
        xywhr = None if self.xywhr is None else self.xywhr[index]
        return DetectionArrays(
            self.xyxy[index], self.confidence[index], self.class_id[index], xywhr=xywhr
        )

    def with_tracks(self, det_index: np.ndarray, track_id: np.ndarray) -> Any:
        """Build the tracker's output in the caller's format.

        Args:
            det_index: Input rows that belong to a confirmed track this frame.
            track_id: The track id for each of those rows.
        """
        order = np.argsort(det_index, kind="stable")
        det_index = np.asarray(det_index, dtype=np.intp)[order]
        track_id = np.asarray(track_id, dtype=np.int64)[order]
        if self.source is not None:
            out = self.source[det_index]
            out.tracker_id = track_id
            return out
        boxes = self.xyxy if self.xywhr is None else self.xywhr
        k = boxes.shape[1]
        out = np.empty((len(det_index), k + 4))
        out[:, :k] = boxes[det_index]
        out[:, k] = track_id
        out[:, k + 1] = self.confidence[det_index]
        out[:, k + 2] = self.class_id[det_index]
        out[:, k + 3] = det_index
        return out


def empty_detections() -> DetectionArrays:
    """A batch with no detections (a frame where the detector found nothing)."""
    return DetectionArrays(np.empty((0, 4)), np.empty(0), np.empty(0, dtype=np.int64))


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    dtype = getattr(value, "dtype", None)
    if shape is not None:
        return f"an array of shape {tuple(shape)} and dtype {dtype}"
    return f"a {type(value).__name__}"


def _as_float_array(value: Any, name: str, what: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be {what}; got {_describe(value)} ({error})") from None
    if array.dtype.kind not in "biuf":  # bool, signed, unsigned, float
        raise ValueError(f"{name} must be {what} with a numeric dtype; got {_describe(value)}")
    return array.astype(np.float64, copy=False)


@njit(cache=True)
def _all_plausible(xyxy: np.ndarray, confidence: np.ndarray, class_id: np.ndarray) -> bool:
    """One compiled pass over a frame: finite, ordered corners, scores in [0, 1], whole class
    ids. Validation runs every frame, so it must cost far less than tracking does."""
    for n in range(len(xyxy)):
        x1, y1, x2, y2 = xyxy[n, 0], xyxy[n, 1], xyxy[n, 2], xyxy[n, 3]
        if not (np.isfinite(x1) and np.isfinite(y1) and np.isfinite(x2) and np.isfinite(y2)):
            return False
        if not (x2 >= x1 and y2 >= y1 and 0.0 <= confidence[n] <= 1.0):
            return False
        if not (np.isfinite(class_id[n]) and class_id[n] == np.round(class_id[n])):
            return False
    return True


def _check_values(xyxy: np.ndarray, confidence: np.ndarray, class_id: np.ndarray, name: str):
    if _all_plausible(xyxy, confidence, class_id):
        return
    bad_rows = ~np.isfinite(xyxy).all(axis=1) | ~np.isfinite(confidence) | ~np.isfinite(class_id)
    if bad_rows.any():
        row = int(np.flatnonzero(bad_rows)[0])
        raise ValueError(
            f"{name} must hold finite numbers; row {row} has NaN or inf "
            f"(box {xyxy[row].tolist()}, score {confidence[row]}, class {class_id[row]})"
        )
    inverted = (xyxy[:, 2] < xyxy[:, 0]) | (xyxy[:, 3] < xyxy[:, 1])
    if inverted.any():
        row = int(np.flatnonzero(inverted)[0])
        raise ValueError(
            f"{name} boxes must be [x1, y1, x2, y2] with x2 >= x1 and y2 >= y1; "
            f"row {row} is {xyxy[row].tolist()}"
        )
    out_of_range = (confidence < 0) | (confidence > 1)
    if out_of_range.any():
        row = int(np.flatnonzero(out_of_range)[0])
        raise ValueError(f"{name} scores must lie in [0, 1]; row {row} has {confidence[row]}")
    fractional = class_id != np.round(class_id)
    if fractional.any():
        row = int(np.flatnonzero(fractional)[0])
        raise ValueError(f"{name} class ids must be whole numbers; row {row} has {class_id[row]}")


def _from_supervision(detections: Any, name: str) -> DetectionArrays:
    n = len(detections)
    xyxy = _as_float_array(detections.xyxy, f"{name}.xyxy", "an (N, 4) array").reshape(-1, 4)
    if detections.confidence is None:
        confidence = np.ones(n)
    else:
        confidence = _as_float_array(detections.confidence, f"{name}.confidence", "an (N,) array")
    if detections.class_id is None:
        class_id = np.zeros(n)
    else:
        class_id = _as_float_array(detections.class_id, f"{name}.class_id", "an (N,) array")
    if confidence.shape != (n,) or class_id.shape != (n,):
        raise ValueError(
            f"{name} has {n} boxes but confidence has shape {confidence.shape} and class_id "
            f"has shape {class_id.shape}; each must have one entry per box"
        )
    xywhr = None
    if detections.data and ORIENTED_KEY in detections.data:
        corners = _as_float_array(
            detections.data[ORIENTED_KEY], f"{name}.data[{ORIENTED_KEY!r}]", "an (N, 4, 2) array"
        )
        if corners.size != 8 * n or not np.isfinite(corners).all():
            raise ValueError(
                f"{name}.data[{ORIENTED_KEY!r}] must hold finite (N, 4, 2) corners for the {n} "
                f"boxes; got {_describe(corners)}"
            )
        xywhr = geometry.corners_to_xywhr(corners)
    _check_values(xyxy, confidence, class_id, name)
    return DetectionArrays(
        xyxy, confidence, class_id.astype(np.int64), source=detections, xywhr=xywhr
    )


def _from_obb_array(array: np.ndarray, name: str) -> DetectionArrays:
    """``(N, 7)`` ``[cx, cy, w, h, angle, score, class]`` (Ultralytics ``obb.data``)."""
    xywhr = array[:, :5].copy()
    if (xywhr[:, 2:4] < 0).any():
        row = int(np.flatnonzero((xywhr[:, 2:4] < 0).any(axis=1))[0])
        raise ValueError(
            f"{name} oriented boxes need w, h >= 0; row {row} is {xywhr[row].tolist()}"
        )
    xywhr[:, 4] = geometry.normalize_angle(xywhr[:, 4])
    with np.errstate(invalid="ignore"):
        xyxy = geometry.xywhr_to_xyxy(xywhr)
    _check_values(xyxy, array[:, 5], array[:, 6], name)
    return DetectionArrays(
        xyxy, np.ascontiguousarray(array[:, 5]), array[:, 6].astype(np.int64), xywhr=xywhr
    )


def _from_array(detections: Any, name: str) -> DetectionArrays:
    array = _as_float_array(detections, name, "an (N, 4), (N, 5) or (N, 6) array")
    if array.size == 0 and array.ndim <= 2:
        return empty_detections()
    if array.ndim == 2 and array.shape[1] == 7:
        return _from_obb_array(array, name)
    if array.ndim != 2 or array.shape[1] not in (4, 5, 6):
        raise ValueError(
            f"{name} must be an (N, 4), (N, 5) or (N, 6) array of "
            f"[x1, y1, x2, y2, score, class], or (N, 7) oriented boxes "
            f"[cx, cy, w, h, angle, score, class]; got {_describe(array)}"
        )
    n, columns = array.shape
    xyxy = array[:, :4]
    confidence = array[:, 4] if columns >= 5 else np.ones(n)
    class_id = array[:, 5] if columns == 6 else np.zeros(n)
    _check_values(xyxy, confidence, class_id, name)
    return DetectionArrays(
        np.ascontiguousarray(xyxy), np.ascontiguousarray(confidence), class_id.astype(np.int64)
    )


def to_detection_arrays(detections: Any, name: str = "detections") -> DetectionArrays:
    """Validate ``detections`` and convert them to :class:`DetectionArrays`.

    Args:
        detections: ``supervision.Detections``, an array-like of shape ``(N, 4|5|6)`` (or
            ``(N, 7)`` oriented boxes), or ``None`` (no detections this frame).
        name: Argument name used in error messages.

    Raises:
        ValueError: On a wrong shape or dtype, NaN/inf values, inverted boxes, scores outside
            ``[0, 1]`` or mismatched field lengths. Nothing is modified before raising.
    """
    if detections is None:
        return empty_detections()
    if sv is not None and isinstance(detections, sv.Detections):
        return _from_supervision(detections, name)
    return _from_array(detections, name)

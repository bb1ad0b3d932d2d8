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
  ``result.obb.data``) passed with ``box_format="xywhr"`` -- returned as ``(M, 9)``
  ``[cx, cy, w, h, angle, track_id, score, class, det_index]`` (:data:`OBB_OUTPUT_COLUMNS`).

Seven columns are never guessed: Ultralytics' tracked ``result.boxes.data`` is also ``(N, 7)``
(``[x1, y1, x2, y2, id, score, class]``), and reading its id as an angle would track nonsense
without an error. Without ``box_format`` such an array is a ``ValueError`` that names both
readings.

Scores must lie in ``[0, 1]``, give or take :data:`SCORE_TOLERANCE` (a probability computed in
float32 can come out as ``1.0000001``); they are kept as given, not clipped.

Output rows are the input detections that belong to a confirmed track in this frame, in input
order (``det_index`` ascending), with the detection's own box. Detections that were not
matched, that started a track still waiting for confirmation, or that were ignored (below
every score threshold) are left out -- unless the tracker was built with
``return_unmatched=True``: then every detection comes back, in input order, with track id
``-1`` where no confirmed track owns it (Roboflow ``trackers``' convention; rows dropped by
``on_invalid="drop"`` stay dropped).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numba import njit

from keeptrack import geometry
from keeptrack.stages.boxes import CLASS, SCORE, detection_matrix

try:  # supervision is a core dependency; the guard keeps this module importable for tools.
    import supervision as sv
except ImportError:  # pragma: no cover
    sv = None  # type: ignore[assignment]  # checked before use: isinstance needs the class

#: Array-like detections a tracker reads (returned as a NumPy array): an array, or nested lists
#: of rows such as ``[[x1, y1, x2, y2, score, class], ...]``.
ArrayInput: TypeAlias = np.ndarray | Sequence[Sequence[float]]
#: Columns of the NumPy output.
OUTPUT_COLUMNS = ("x1", "y1", "x2", "y2", "track_id", "score", "class", "det_index")
#: Columns of the NumPy output for oriented-box input.
OBB_OUTPUT_COLUMNS = ("cx", "cy", "w", "h", "angle", "track_id", "score", "class", "det_index")
#: ``supervision.Detections.data`` key of oriented-box corners (supervision's own name).
ORIENTED_KEY = "xyxyxyxy"
#: How far a score may stray outside ``[0, 1]``: float32 rounding of a probability, not more.
SCORE_TOLERANCE = 1e-6
#: Values of ``box_format`` (see :func:`to_detection_arrays`).
BOX_FORMATS = ("xyxy", "xywhr")
#: Values of ``on_invalid`` (see :func:`to_detection_arrays`).
ON_INVALID = ("raise", "drop")
#: Track id of a detection no confirmed track owns (trackers built with ``return_unmatched``).
UNMATCHED = -1


class InvalidDetectionsWarning(UserWarning):
    """Bad input was dropped or ignored (``on_invalid="drop"``).

    Attributes:
        kind: What was wrong (``"NaN or inf"``, ``"inverted or empty box"``, ``"timestamp"``, ...);
            each kind is warned about once per tracker.
    """

    def __init__(self, message: str, kind: str = "") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(slots=True)
class DetectionArrays:
    """Validated detections of one frame as plain arrays (treated as read-only; not frozen,
    because a frozen dataclass's ``__init__`` costs a microsecond a frame).

    Attributes:
        xyxy: ``(N, 4)`` float64 corner boxes.
        confidence: ``(N,)`` float64 scores in ``[0, 1]``.
        class_id: ``(N,)`` int64 class labels.
        source: The ``supervision.Detections`` this came from, or ``None`` for NumPy input.
        xywhr: ``(N, 5)`` oriented boxes (angle in ``(-pi, pi]``) for oriented input, else
            ``None``; ``xyxy`` then holds each box's axis-aligned hull.
        input_rows: For each row, its row in the caller's input when ``on_invalid="drop"``
            left some out; ``None`` when every input row is here.
        input_length: Rows of the caller's input (``None``: ``len(self)``).
        matrix: The compiled steps' ``(N, 7)`` detection matrix
            (:func:`keeptrack.stages.boxes.detection_matrix`), built from the fields when not
            given. ``xyxy`` and ``confidence`` may be views of it.
    """

    xyxy: np.ndarray
    confidence: np.ndarray
    class_id: np.ndarray
    source: Any = None
    xywhr: np.ndarray | None = None
    input_rows: np.ndarray | None = None
    input_length: int | None = None
    matrix: np.ndarray = None  # type: ignore[assignment]  # filled in by __post_init__

    def __post_init__(self) -> None:
        if self.matrix is None:
            xywhr = _NO_XYWHR if self.xywhr is None else self.xywhr
            self.matrix = detection_matrix(self.xyxy, self.confidence, self.class_id, xywhr)

    def __len__(self) -> int:
        return len(self.xyxy)

    @property
    def input_count(self) -> int:
        """Rows the caller passed (more than ``len(self)`` when bad rows were dropped)."""
        return len(self) if self.input_length is None else self.input_length

    def take(self, values: np.ndarray) -> np.ndarray:
        """The rows of a per-input-row array (such as embeddings) that this batch kept."""
        return values if self.input_rows is None else values[self.input_rows]

    def subset(self, index: np.ndarray) -> DetectionArrays:
        """Rows ``index`` as a new batch (used by trackers that filter before matching)."""
        xywhr = None if self.xywhr is None else self.xywhr[index]
        return DetectionArrays(
            self.xyxy[index], self.confidence[index], self.class_id[index], xywhr=xywhr
        )

    def with_tracks(
        self, det_index: np.ndarray, track_id: np.ndarray, every_row: bool = False
    ) -> Any:
        """Build the tracker's output in the caller's format.

        Args:
            det_index: Input rows that belong to a confirmed track this frame.
            track_id: The track id for each of those rows.
            every_row: Return every row, with id :data:`UNMATCHED` where no track owns it.
        """
        if every_row:
            ids = np.full(len(self), UNMATCHED, dtype=np.int64)
            ids[det_index] = track_id
            det_index, track_id = np.arange(len(self), dtype=np.int64), ids
        if self.source is not None:
            order = np.argsort(det_index)  # each row belongs to one track: no ties
            rows = np.asarray(det_index, dtype=np.intp)[order]
            return _take_rows(self.source, rows, np.asarray(track_id, dtype=np.int64)[order])
        boxes = self.xyxy if self.xywhr is None else self.xywhr
        rows = _NO_ROWS if self.input_rows is None else self.input_rows
        return _output_rows(boxes, self.confidence, self.class_id, det_index, track_id, rows)


_NO_ROWS = np.empty(0, dtype=np.int64)
_NO_XYWHR = np.empty((0, 5))


def _take_rows(source: Any, rows: np.ndarray, tracker_id: np.ndarray) -> Any:
    """``source[rows]`` with ``tracker_id`` set, without re-validating every field.

    ``supervision.Detections.__getitem__`` builds a new object through its validating
    constructor, which costs several times what tracking a frame does; the rows of a valid
    ``Detections`` are valid, so each field (every array, every ``data`` entry) is sliced
    directly. ``metadata`` is shared, as ``__getitem__`` shares it.
    """
    kind = type(source)
    names = _FIELD_NAMES.get(kind)
    if names is None:
        names = _FIELD_NAMES[kind] = tuple(field.name for field in dataclasses.fields(kind))
    fields = {}
    for name in names:
        value = getattr(source, name)
        if isinstance(value, np.ndarray):
            value = value.take(rows, axis=0)  # for 2-D boxes several times faster than [rows]
        elif name == "data":
            value = {
                key: item.take(rows, axis=0)
                if isinstance(item, np.ndarray)
                else [item[r] for r in rows]
                for key, item in value.items()
            }
        fields[name] = value
    fields["tracker_id"] = tracker_id
    out = object.__new__(kind)
    out.__dict__.update(fields)
    return out


#: Field names of each ``Detections`` class seen, looked up once rather than every frame.
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@njit(cache=True)
def _output_rows(boxes, confidence, class_id, det_index, track_id, input_rows) -> np.ndarray:
    """The NumPy output ``[box..., track_id, score, class, det_index]`` in input order, in one
    compiled pass (each detection belongs to at most one track, so the order is total);
    ``input_rows`` maps kept rows back to the caller's rows when bad ones were dropped."""
    order = np.argsort(det_index)
    k = boxes.shape[1]
    out = np.empty((len(order), k + 4))
    for j in range(len(order)):
        d = det_index[order[j]]
        for c in range(k):
            out[j, c] = boxes[d, c]
        out[j, k] = track_id[order[j]]
        out[j, k + 1] = confidence[d]
        out[j, k + 2] = class_id[d]
        out[j, k + 3] = input_rows[d] if len(input_rows) else d
    return out


def tracked_rows(output: Any) -> Any:
    """The rows of a tracker's output that belong to a track: a tracker built with
    ``return_unmatched=True`` also returns the others, with id :data:`UNMATCHED`, and results
    files, drawings and metrics are about tracks only.

    Args:
        output: What ``update`` returned: ``supervision.Detections`` or a NumPy array (its
            track id is the fourth column from the end, for both box kinds).
    """
    ids = output.tracker_id if sv is not None and isinstance(output, sv.Detections) else None
    if ids is None:
        ids = output[:, -4]
    return output[ids != UNMATCHED] if len(ids) and ids.min() < 0 else output


def empty_detections(oriented: bool = False) -> DetectionArrays:
    """A batch with no detections (a frame where the detector found nothing); an oriented one
    gives ``(0, 9)`` output, like every other frame of an oriented stream."""
    xywhr = np.empty((0, 5)) if oriented else None
    return DetectionArrays(np.empty((0, 4)), np.empty(0), np.empty(0, dtype=np.int64), xywhr=xywhr)


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


def check_on_invalid(on_invalid: str) -> str:
    """Validate the ``on_invalid`` argument (``"raise"`` or ``"drop"``)."""
    if on_invalid not in ON_INVALID:
        raise ValueError(f"on_invalid must be one of {ON_INVALID}; got {on_invalid!r}")
    return on_invalid


@njit(cache=True)
def _all_plausible(
    xyxy: np.ndarray, confidence: np.ndarray, class_id: np.ndarray, tolerance: float
) -> bool:
    """One compiled pass over a frame: finite, ordered corners, scores in [0, 1], whole class
    ids. Validation runs every frame, so it must cost far less than tracking does."""
    for n in range(len(xyxy)):
        x1, y1, x2, y2 = xyxy[n, 0], xyxy[n, 1], xyxy[n, 2], xyxy[n, 3]
        if not (np.isfinite(x1) and np.isfinite(y1) and np.isfinite(x2) and np.isfinite(y2)):
            return False
        if not (x2 > x1 and y2 > y1):
            return False
        if not (-tolerance <= confidence[n] <= 1.0 + tolerance):
            return False
        if not (np.isfinite(class_id[n]) and class_id[n] == np.round(class_id[n])):
            return False
    return True


def _row_problems(
    xyxy: np.ndarray, confidence: np.ndarray, class_id: np.ndarray, name: str
) -> list[tuple[str, np.ndarray, Callable[[int], str]]]:
    """``(kind, bad-row mask, message for one row)`` per kind of problem, most basic first.

    A row is reported under the first kind it fails (a NaN box is not also "inverted or empty")."""
    with np.errstate(invalid="ignore"):
        non_finite = ~np.isfinite(xyxy).all(axis=1) | ~np.isfinite(confidence)
        non_finite |= ~np.isfinite(class_id)
        inverted = ~non_finite & ((xyxy[:, 2] <= xyxy[:, 0]) | (xyxy[:, 3] <= xyxy[:, 1]))
        score = ~non_finite & ((confidence < -SCORE_TOLERANCE) | (confidence > 1 + SCORE_TOLERANCE))
        fractional = ~non_finite & (class_id != np.round(class_id))
    return [
        (
            "NaN or inf",
            non_finite,
            lambda r: (
                f"{name} must hold finite numbers; row {r} has NaN or inf "
                f"(box {xyxy[r].tolist()}, score {confidence[r]}, class {class_id[r]})"
            ),
        ),
        (
            "inverted or empty box",
            inverted,
            lambda r: (
                f"{name} boxes must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1 (an empty "
                f"box overlaps nothing); row {r} is {xyxy[r].tolist()}"
            ),
        ),
        (
            "score outside [0, 1]",
            score,
            lambda r: (
                f"{name} scores must lie in [0, 1] (up to {SCORE_TOLERANCE:g} of "
                f"rounding); row {r} has {confidence[r]}"
            ),
        ),
        (
            "fractional class id",
            fractional,
            lambda r: f"{name} class ids must be whole numbers; row {r} has {class_id[r]}",
        ),
    ]


def _valid_rows(
    problems: list[tuple[str, np.ndarray, Callable[[int], str]]],
    n: int,
    on_invalid: str,
    warned: set[str] | None,
) -> np.ndarray | None:
    """Rows to keep (``None``: all of them), raising or warning as ``on_invalid`` says."""
    bad = np.zeros(n, dtype=bool)
    for kind, mask, message in problems:
        mask = mask & ~bad
        if not mask.any():
            continue
        first = int(np.flatnonzero(mask)[0])
        if on_invalid == "raise":
            raise ValueError(message(first))
        if warned is None or kind not in warned:
            warnings.warn(
                InvalidDetectionsWarning(
                    f"dropped {int(mask.sum())} of {n} detections ({kind}): {message(first)}; "
                    'on_invalid="drop" drops such rows and warns once per kind',
                    kind,
                ),
                stacklevel=4,
            )
            if warned is not None:
                warned.add(kind)
        bad |= mask
    return None if not bad.any() else ~bad


def _finish(
    xyxy: np.ndarray,
    confidence: np.ndarray,
    class_id: np.ndarray,
    name: str,
    on_invalid: str,
    warned: set[str] | None,
    xywhr: np.ndarray | None = None,
    source: Any = None,
    extra_problems: list | None = None,
) -> DetectionArrays:
    """Check the values of one frame and build the batch, dropping rows if asked."""
    n = len(xyxy)
    if xywhr is None and not extra_problems:
        ok, matrix, class_ids = _checked_fields(xyxy, confidence, class_id)
        if ok:
            return DetectionArrays(
                matrix[:, :4], matrix[:, SCORE], class_ids, source=source, matrix=matrix
            )
    keep = None
    if extra_problems or not _all_plausible(xyxy, confidence, class_id, SCORE_TOLERANCE):
        problems = (extra_problems or []) + _row_problems(xyxy, confidence, class_id, name)
        keep = _valid_rows(problems, n, on_invalid, warned)
    input_rows = None
    if keep is not None:
        input_rows = np.flatnonzero(keep)
        xyxy, confidence, class_id = xyxy[keep], confidence[keep], class_id[keep]
        xywhr = None if xywhr is None else xywhr[keep]
        source = None if source is None else source[keep]
    # One compiled pass builds the steps' matrix; the batch's boxes and scores are views of it.
    matrix = detection_matrix(xyxy, confidence, class_id, _NO_XYWHR if xywhr is None else xywhr)
    return DetectionArrays(
        matrix[:, :4] if xywhr is None else np.ascontiguousarray(xyxy),
        matrix[:, SCORE],
        class_id.astype(np.int64),
        source=source,
        xywhr=xywhr,
        input_rows=input_rows,
        input_length=n,
        matrix=matrix,
    )


def _from_supervision(
    detections: Any, name: str, on_invalid: str, warned: set[str] | None
) -> DetectionArrays:
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
    extra = []
    if detections.data and ORIENTED_KEY in detections.data:
        corners = _as_float_array(
            detections.data[ORIENTED_KEY], f"{name}.data[{ORIENTED_KEY!r}]", "an (N, 4, 2) array"
        )
        if corners.size != 8 * n:
            raise ValueError(
                f"{name}.data[{ORIENTED_KEY!r}] must hold (N, 4, 2) corners for the {n} "
                f"boxes; got {_describe(corners)}"
            )
        corners = corners.reshape(n, 4, 2)
        bad_corners = ~np.isfinite(corners).all(axis=(1, 2))
        if bad_corners.any():
            extra.append(
                (
                    "NaN or inf",
                    bad_corners,
                    lambda r: (
                        f"{name}.data[{ORIENTED_KEY!r}] must hold finite corners; "
                        f"row {r} has NaN or inf"
                    ),
                )
            )
            corners = np.where(np.isfinite(corners), corners, 0.0)
        xywhr = geometry.corners_to_xywhr(corners)
    return _finish(xyxy, confidence, class_id, name, on_invalid, warned, xywhr, detections, extra)


def _from_xywhr_array(
    array: np.ndarray, name: str, on_invalid: str, warned: set[str] | None
) -> DetectionArrays:
    """``(N, 5|6|7)`` ``[cx, cy, w, h, angle, score, class]`` (Ultralytics ``obb.data``)."""
    n, columns = array.shape
    xywhr = array[:, :5].copy()
    with np.errstate(invalid="ignore", over="ignore"):  # NaN and inf rows are reported below
        negative = (xywhr[:, 2:4] <= 0).any(axis=1)
        # Wrap only what is outside: in-range angles stay exact.
        outside = ~((xywhr[:, 4] > -np.pi) & (xywhr[:, 4] <= np.pi))
        if outside.any():
            xywhr[outside, 4] = geometry.normalize_angle(xywhr[outside, 4])
        xyxy = geometry.xywhr_to_xyxy(xywhr)
    extra = []
    if negative.any():
        extra.append(
            (
                "empty oriented box",
                negative,
                lambda r: (
                    f"{name} oriented boxes need w, h > 0; row {r} is {array[r, :5].tolist()}"
                ),
            )
        )
    confidence = array[:, 5] if columns >= 6 else np.ones(n)
    class_id = array[:, 6] if columns == 7 else np.zeros(n)
    return _finish(xyxy, confidence, class_id, name, on_invalid, warned, xywhr, None, extra)


def _from_array(
    detections: Any, name: str, box_format: str | None, on_invalid: str, warned: set[str] | None
) -> DetectionArrays:
    array = _as_float_array(detections, name, "an (N, 4), (N, 5) or (N, 6) array")
    if array.size == 0 and array.ndim <= 2:
        if box_format == "xywhr" and array.ndim == 2 and array.shape[1] not in (0, 5, 6, 7):
            raise ValueError(f"{name} xywhr boxes need 5, 6 or 7 columns; got {_describe(array)}")
        return empty_detections(oriented=box_format == "xywhr")
    columns = array.shape[1] if array.ndim == 2 else None
    if box_format == "xywhr":
        if columns not in (5, 6, 7):
            raise ValueError(
                f'{name} with box_format="xywhr" must be an (N, 5), (N, 6) or (N, 7) array of '
                f"[cx, cy, w, h, angle, score, class]; got {_describe(array)}"
            )
        return _from_xywhr_array(array, name, on_invalid, warned)
    if columns == 7:
        if box_format is None:
            raise ValueError(
                f'{name} has 7 columns, which is ambiguous: pass box_format="xywhr" for '
                "oriented boxes [cx, cy, w, h, angle, score, class] (Ultralytics "
                'result.obb.data), or box_format="xyxy" for Ultralytics tracked boxes '
                "[x1, y1, x2, y2, id, score, class] (result.boxes.data after model.track; "
                "the id column is ignored)"
            )
        array = array[:, [0, 1, 2, 3, 5, 6]]  # xyxy: drop Ultralytics' own track id
        columns = 6
    if columns not in (4, 5, 6):
        raise ValueError(
            f"{name} must be an (N, 4), (N, 5) or (N, 6) array of "
            f"[x1, y1, x2, y2, score, class], or (N, 7) with box_format= set; "
            f"got {_describe(array)}"
        )
    ok, matrix, class_id = _checked_matrix(array)
    if ok:  # every row plausible: the batch in one compiled pass
        return DetectionArrays(matrix[:, :4], matrix[:, SCORE], class_id, matrix=matrix)
    n = len(array)
    confidence = array[:, 4] if columns >= 5 else np.ones(n)
    class_id = array[:, 5] if columns == 6 else np.zeros(n)
    return _finish(array[:, :4], confidence, class_id, name, on_invalid, warned)


@njit(cache=True)
def _checked_matrix(array: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray]:
    """:func:`_checked_fields` of an ``(N, 4|5|6)`` array (missing scores are 1, missing
    classes 0), in the same compiled call."""
    n, columns = array.shape
    confidence = array[:, 4] if columns >= 5 else np.ones(n)
    class_id = array[:, 5] if columns == 6 else np.zeros(n)
    return _checked_fields(array[:, :4], confidence, class_id)


@njit(cache=True)
def _checked_fields(
    xyxy: np.ndarray, confidence: np.ndarray, class_id: np.ndarray
) -> tuple[bool, np.ndarray, np.ndarray]:
    """``(all rows plausible, detection matrix, int64 class ids)`` of axis-aligned fields in
    one compiled call: :func:`_all_plausible` and the detection matrix, without the Python
    between them. Most frames are valid; the others take :func:`_finish`'s full check."""
    if not _all_plausible(xyxy, confidence, class_id, SCORE_TOLERANCE):
        return False, np.empty((0, 7)), np.empty(0, np.int64)
    matrix = detection_matrix(xyxy, confidence, class_id, _NO_XYWHR)
    return True, matrix, class_id.astype(np.int64)


def from_detection_matrix(matrix: np.ndarray, name: str = "detections") -> DetectionArrays:
    """Axis-aligned detections already laid out as the compiled steps' ``(N, 7)`` matrix
    ``[x1, y1, x2, y2, 0, score, class]`` (:mod:`keeptrack.stages.boxes`), validated as
    :func:`to_detection_arrays` validates them, without a copy.

    For callers that build that matrix themselves (the Ultralytics drop-ins convert their
    boxes in one compiled pass), so that no frame is converted twice.

    Raises:
        ValueError: As :func:`to_detection_arrays` with ``on_invalid="raise"``, naming ``name``.
    """
    xyxy, confidence, class_id = matrix[:, :4], matrix[:, SCORE], matrix[:, CLASS]
    if not _all_plausible(xyxy, confidence, class_id, SCORE_TOLERANCE):
        # The full check names the first bad row (and raises, since some row is bad).
        return to_detection_arrays(np.column_stack([xyxy, confidence, class_id]), name)
    return DetectionArrays(xyxy, confidence, class_id.astype(np.int64), matrix=matrix)


def to_detection_arrays(
    detections: Any,
    name: str = "detections",
    box_format: str | None = None,
    on_invalid: str = "raise",
    warned: set[str] | None = None,
) -> DetectionArrays:
    """Validate ``detections`` and convert them to :class:`DetectionArrays`.

    Args:
        detections: ``supervision.Detections``, an array-like of shape ``(N, 4|5|6)``,
            ``(N, 7)`` with ``box_format`` set, or ``None`` (no detections this frame).
        name: Argument name used in error messages.
        box_format: How to read array columns. ``None``: ``(N, 4|5|6)``
            ``[x1, y1, x2, y2, score, class]``; seven columns are refused as ambiguous.
            ``"xyxy"``: the same, and ``(N, 7)`` is Ultralytics' tracked
            ``[x1, y1, x2, y2, id, score, class]`` (the id is ignored). ``"xywhr"``:
            oriented ``(N, 5|6|7)`` ``[cx, cy, w, h, angle, score, class]``. Ignored for
            ``supervision.Detections``, which say what they hold.
        on_invalid: ``"raise"`` (a ``ValueError`` naming the argument and the first bad row)
            or ``"drop"`` (rows with bad values are left out, with an
            :class:`InvalidDetectionsWarning` once per kind of problem). A wrong shape or
            dtype is a programming error and raises either way.
        warned: Kinds of problem already warned about; ``"drop"`` adds to it (a tracker keeps
            one per instance, so a stream warns once per kind, not once per frame).

    Raises:
        ValueError: On a wrong shape or dtype, mismatched field lengths, an ambiguous
            ``(N, 7)`` array, or (with ``on_invalid="raise"``) NaN/inf values, inverted
            boxes, scores outside ``[0, 1]`` beyond :data:`SCORE_TOLERANCE`, fractional class
            ids or negative oriented sizes. Nothing is modified before raising.
    """
    check_on_invalid(on_invalid)
    if box_format not in (None, *BOX_FORMATS):
        raise ValueError(f"box_format must be None or one of {BOX_FORMATS}; got {box_format!r}")
    if detections is None:
        return empty_detections()
    if sv is not None and isinstance(detections, sv.Detections):
        return _from_supervision(detections, name, on_invalid, warned)
    return _from_array(detections, name, box_format, on_invalid, warned)

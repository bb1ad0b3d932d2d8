"""One sequence prepared for scoring: TrackEval's MotChallenge2DBox preprocessing, vectorised.

TrackEval keeps one small IoU matrix per frame. Here every frame's matrix is a block of one flat
array (``similarity[sim_bounds[t]:sim_bounds[t + 1]].reshape(n_gt_t, n_tracker_t)``), with the
gt row and tracker row of each entry alongside, so metrics can accumulate over all frames in one
``np.bincount`` and loop over frames only where an assignment problem must be solved.

Preprocessing (``mot17``; ``mot20`` adds class 6 to the distractors):

1. Tracker boxes matched (Hungarian, IoU >= 0.5) to a GT box of a distractor class (2 person on
   vehicle, 7 static person, 8 distractor, 12 reflection) are removed: a detector cannot be
   blamed for seeing a person on a bicycle, nor credited for it.
2. GT rows are kept only if pedestrian (class 1) and not zero-marked (flag column != 0).

``plain`` (TrackEval's MOT15 mode): no classes, nothing removed from the tracker output; GT rows
with flag 0 are ignored when a flag column exists, otherwise every row is a target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keeptrack.eval.lsap import linear_sum_assignment
from keeptrack.io.mot import MOTFormatError

EPS = np.finfo(float).eps
BENCHMARKS = ("mot17", "mot20", "plain")
PEDESTRIAN = 1
_DISTRACTORS = {"mot17": (2, 7, 8, 12), "mot20": (2, 6, 7, 8, 12)}
_GT_CLASSES = range(1, 14)  # MOTChallenge class ids 1 (pedestrian) .. 13 (crowd)


@dataclass(frozen=True)
class SequenceData:
    """Preprocessed GT and tracker boxes of one sequence, sorted by frame.

    Ids are relabelled ``0..num_*_ids - 1`` (ascending original id), rows keep their file order
    within a frame, so every per-frame assignment problem is the same matrix TrackEval solves.

    Attributes:
        num_timesteps: Frames in the sequence.
        gt_ids: ``(G,)`` relabelled id of each kept GT row.
        tracker_ids: ``(T,)`` relabelled id of each kept tracker row.
        gt_bounds: ``(num_timesteps + 1,)``: frame ``t`` (0-based) owns GT rows
            ``gt_bounds[t]:gt_bounds[t + 1]``.
        tracker_bounds: The same for tracker rows.
        similarity: Flat IoU of every (GT row, tracker row) pair sharing a frame, frame by frame,
            each frame's block row-major.
        sim_bounds: ``(num_timesteps + 1,)`` offsets of each frame's block in ``similarity``.
        pair_gt: ``(P,)`` GT row of each similarity entry.
        pair_tracker: ``(P,)`` tracker row of each similarity entry.
        num_gt_ids: Distinct GT ids.
        num_tracker_ids: Distinct tracker ids.
    """

    num_timesteps: int
    gt_ids: np.ndarray
    tracker_ids: np.ndarray
    gt_bounds: np.ndarray
    tracker_bounds: np.ndarray
    similarity: np.ndarray
    sim_bounds: np.ndarray
    pair_gt: np.ndarray
    pair_tracker: np.ndarray
    num_gt_ids: int
    num_tracker_ids: int

    @property
    def num_gt_dets(self) -> int:
        return len(self.gt_ids)

    @property
    def num_tracker_dets(self) -> int:
        return len(self.tracker_ids)

    def scored_frames(self) -> np.ndarray:
        """Frames with both GT and tracker boxes: the only ones with an assignment to solve."""
        gt = np.diff(self.gt_bounds)
        tracker = np.diff(self.tracker_bounds)
        return np.flatnonzero((gt > 0) & (tracker > 0))


def _corners(boxes: np.ndarray) -> tuple[np.ndarray, ...]:
    """``x0, y0, x1, y1, area`` of ``[left, top, width, height]`` boxes, as TrackEval derives
    them (the area from the corners, not ``w * h``, which can differ in the last bit)."""
    x0, y0 = boxes[..., 0], boxes[..., 1]
    x1, y1 = x0 + boxes[..., 2], y0 + boxes[..., 3]
    return x0, y0, x1, y1, (x1 - x0) * (y1 - y0)


def _iou_from_corners(a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...]) -> np.ndarray:
    """IoU with TrackEval's arithmetic, step for step, including its ``eps`` guards: a box of
    area <= eps, or a pair with union <= eps, has IoU 0."""
    inter_w = np.minimum(a[2], b[2]) - np.maximum(a[0], b[0])
    inter_h = np.minimum(a[3], b[3]) - np.maximum(a[1], b[1])
    intersection = np.maximum(inter_w, 0) * np.maximum(inter_h, 0)
    union = a[4] + b[4] - intersection
    valid = (union > 0 + EPS) & (a[4] > 0 + EPS) & (b[4] > 0 + EPS)
    return np.divide(intersection, union, out=np.zeros(np.shape(union)), where=valid)


def box_iou_xywh(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of ``[left, top, width, height]`` boxes, broadcasting ``a`` against ``b``.

    Bit for bit TrackEval's values, so tie-breaks in the assignments cannot diverge.
    """
    return _iou_from_corners(_corners(a), _corners(b))


def pair_iou_xywh(
    a: np.ndarray, b: np.ndarray, index_a: np.ndarray, index_b: np.ndarray
) -> np.ndarray:
    """IoU of the pairs ``(a[index_a[k]], b[index_b[k]])``, equal to :func:`box_iou_xywh`.

    Corners and areas are computed once per box and gathered per pair, which matters when a
    sequence has millions of pairs and only thousands of boxes. Most pairs do not even overlap
    horizontally; their IoU is exactly 0 (as TrackEval's arithmetic gives), so the full
    computation runs only on the pairs that do.
    """
    ax0, ay0, ax1, ay1, area_a = _corners(a)
    bx0, by0, bx1, by1, area_b = _corners(b)
    inter_w = np.minimum(np.take(ax1, index_a), np.take(bx1, index_b))
    inter_w -= np.maximum(np.take(ax0, index_a), np.take(bx0, index_b))
    overlap = np.flatnonzero(inter_w > 0)
    ia, ib = index_a[overlap], index_b[overlap]
    corners_a = tuple(np.take(c, ia) for c in (ax0, ay0, ax1, ay1, area_a))
    corners_b = tuple(np.take(c, ib) for c in (bx0, by0, bx1, by1, area_b))
    ious = np.zeros(len(index_a))
    ious[overlap] = _iou_from_corners(corners_a, corners_b)
    return ious


def frame_bounds(frames: np.ndarray, num_timesteps: int) -> np.ndarray:
    """Row offsets of frames ``1..num_timesteps`` in an array sorted by frame."""
    return np.searchsorted(frames, np.arange(1, num_timesteps + 2))


def frame_pairs(
    gt_bounds: np.ndarray, tracker_bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (GT row, tracker row) pair sharing a frame, frame by frame, row-major per frame.

    Built from ``np.repeat`` runs (no per-pair division), since sequences reach millions of
    pairs.

    Returns:
        ``(pair_gt, pair_tracker, pair_bounds)`` where frame ``t``'s pairs are
        ``pair_bounds[t]:pair_bounds[t + 1]``.
    """
    n_gt = np.diff(gt_bounds)
    frame_of_row = np.repeat(np.arange(len(n_gt)), n_gt)
    width = np.diff(tracker_bounds)[frame_of_row]  # pairs of each GT row
    row_start = np.concatenate([[0], np.cumsum(width)])
    pair_gt = np.repeat(np.arange(len(width)), width)
    shift = np.repeat(tracker_bounds[frame_of_row] - row_start[:-1], width)
    pair_tracker = np.arange(row_start[-1]) + shift
    return pair_gt, pair_tracker, row_start[gt_bounds]


def _int_column(rows: np.ndarray, column: int) -> np.ndarray:
    """A column as ints, truncating like TrackEval's ``astype(int)``."""
    return rows[:, column].astype(np.int64)


def _distractor_matches(
    gt: np.ndarray, tracker: np.ndarray, num_timesteps: int, distractors: tuple[int, ...]
) -> np.ndarray:
    """Tracker rows that the Hungarian matching at IoU >= 0.5 pairs with a distractor GT box.

    Both arrays are sorted by frame. TrackEval solves this assignment in every frame; its result
    can only remove something where a distractor overlaps a tracker box at IoU >= 0.5, so only
    those frames are solved here (on the full frame, all classes, exactly TrackEval's matrix).
    """
    is_distractor = np.isin(_int_column(gt, 7), distractors)
    gt_bounds = frame_bounds(gt[:, 0], num_timesteps)
    tracker_bounds = frame_bounds(tracker[:, 0], num_timesteps)
    d_rows = np.flatnonzero(is_distractor)
    d_bounds = frame_bounds(gt[d_rows, 0], num_timesteps)
    pair_d, pair_tracker, _ = frame_pairs(d_bounds, tracker_bounds)
    ious = pair_iou_xywh(gt[d_rows, 2:6], tracker[:, 2:6], pair_d, pair_tracker)
    candidates = np.unique(gt[d_rows[pair_d[ious >= 0.5 - EPS]], 0].astype(np.int64) - 1)
    removed = []
    for t in candidates:
        g0, g1 = gt_bounds[t], gt_bounds[t + 1]
        t0, t1 = tracker_bounds[t], tracker_bounds[t + 1]
        scores = box_iou_xywh(gt[g0:g1, None, 2:6], tracker[None, t0:t1, 2:6])
        scores[scores < 0.5 - EPS] = 0
        rows, cols = linear_sum_assignment(-scores)
        matched = scores[rows, cols] > 0 + EPS
        rows, cols = rows[matched], cols[matched]
        removed.append(t0 + cols[is_distractor[g0 + rows]])
    return np.concatenate(removed) if removed else np.empty(0, np.int64)


#: How to score ground truth that MOTChallenge's class rules do not fit.
_PLAIN_HINT = (
    "Use benchmark 'plain' (keeptrack eval --benchmark plain) for ground truth without classes"
)


def _check_classes(gt: np.ndarray, tracker: np.ndarray, benchmark: str, name: str) -> None:
    if gt.shape[1] < 8:
        raise MOTFormatError(
            f"gt of {name}: {benchmark} needs the flag and class columns "
            f"(frame, id, left, top, width, height, flag, class, ...); got {gt.shape[1]} columns. "
            f"{_PLAIN_HINT}."
        )
    invalid = np.setdiff1d(_int_column(gt, 7), _GT_CLASSES)
    if len(invalid):
        raise MOTFormatError(
            f"gt of {name}: invalid MOTChallenge class ids {invalid.tolist()} (valid: 1..13). "
            f"{_PLAIN_HINT} such as MOT15's (class -1)"
        )
    if tracker.shape[1] >= 8 and len(tracker) and _int_column(tracker, 7).max() > PEDESTRIAN:
        row = int(np.argmax(_int_column(tracker, 7) > PEDESTRIAN))
        raise MOTFormatError(
            f"results of {name} row {row + 1}: class {tracker[row, 7]:g} in column 8; only "
            "pedestrians (class 1, or -1 for none) are evaluated on MOTChallenge"
        )


def preprocess(
    gt: np.ndarray, tracker: np.ndarray, num_timesteps: int, benchmark: str, name: str = ""
) -> SequenceData:
    """Apply the benchmark's preprocessing and pair every GT and tracker box by frame.

    Args:
        gt: Validated GT rows (frames in ``1..num_timesteps``, ids unique per frame).
        tracker: Validated tracker rows.
        num_timesteps: Sequence length.
        benchmark: ``"mot17"``, ``"mot20"`` or ``"plain"``.
        name: Sequence name, for error messages.

    Raises:
        MOTFormatError: If the GT lacks the columns the benchmark needs, has unknown classes,
            or the tracker reports a non-pedestrian class.
    """
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose one of {', '.join(BENCHMARKS)}")
    gt = gt[np.argsort(gt[:, 0], kind="stable")]
    tracker = tracker[np.argsort(tracker[:, 0], kind="stable")]
    if benchmark == "plain":
        keep_gt = _int_column(gt, 6) != 0 if gt.shape[1] >= 7 else np.ones(len(gt), bool)
    else:
        _check_classes(gt, tracker, benchmark, name)
        removed = _distractor_matches(gt, tracker, num_timesteps, _DISTRACTORS[benchmark])
        tracker = np.delete(tracker, removed, axis=0)
        keep_gt = (_int_column(gt, 6) != 0) & (_int_column(gt, 7) == PEDESTRIAN)
    gt = gt[keep_gt]
    gt_unique, gt_ids = np.unique(_int_column(gt, 1), return_inverse=True)
    tracker_unique, tracker_ids = np.unique(_int_column(tracker, 1), return_inverse=True)
    gt_bounds = frame_bounds(gt[:, 0], num_timesteps)
    tracker_bounds = frame_bounds(tracker[:, 0], num_timesteps)
    pair_gt, pair_tracker, sim_bounds = frame_pairs(gt_bounds, tracker_bounds)
    similarity = pair_iou_xywh(gt[:, 2:6], tracker[:, 2:6], pair_gt, pair_tracker)
    return SequenceData(
        num_timesteps=num_timesteps,
        gt_ids=gt_ids.ravel(),
        tracker_ids=tracker_ids.ravel(),
        gt_bounds=gt_bounds,
        tracker_bounds=tracker_bounds,
        similarity=similarity,
        sim_bounds=sim_bounds,
        pair_gt=pair_gt,
        pair_tracker=pair_tracker,
        num_gt_ids=len(gt_unique),
        num_tracker_ids=len(tracker_unique),
    )

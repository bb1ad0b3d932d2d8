"""Camera motion estimated from detection boxes alone, and the frame-or-boxes combination."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from keeptrack.association.assignment import assign
from keeptrack.motion.camera.base import box_array
from keeptrack.validation import check_range


class BoxMotion:
    """Camera translation between frames estimated from detection boxes alone (no pixels).

    Why: camera motion compensation normally needs the images, but trackers are often run on a
    detections file (MOT17's public detections, a cached detector run). When the camera pans,
    every box shifts by the same amount on top of its own motion, and that common shift can be
    recovered from the boxes: matched pairs whose displacements agree are the camera, the rest
    are people walking or mismatches.

    How: each reference box (see below) is paired with every current detection of similar
    height (ratio within ``max_size_ratio``) whose centre lies within ``max_shift`` box heights;
    each reference's three shortest such offsets are candidate camera shifts. The candidate that
    brings the most reference boxes to within ``match_tolerance`` box heights of a current
    detection wins (a Hough-style vote, robust to large pans that plain IoU matching would
    miss); its pairs are then matched one to one and the warp is the **median** of their
    displacements, so walkers and mismatches in the minority do not move it. Fewer than
    ``min_pairs`` agreeing pairs, or fewer than ``min_fraction`` of the smaller box set, gives
    the identity.

    The reference boxes are, in order of preference:

    - ``predicted``: the tracker's constant-velocity predictions of the tracks it matched in the
      previous frame (every keeptrack tracker passes them). The estimate is then the *residual*
      common motion the tracks' velocities did not foresee: zero for a static camera however
      the crowd walks, the pan's change when the camera turns or shakes. Tracks keep learning
      their own (camera-free) velocities. This is the mode measured in BENCHMARKS.md.
    - otherwise the previous frame's detections (``estimate(frame, boxes)`` called on its own).
      This recovers the full shift, but it cannot tell a pan from a crowd walking the same way:
      on static MOT17-09, where most people walk right, it costs BoT-SORT 3.4 HOTA.

    Used by a tracker, the estimator keeps no state that matters (the predictions come from the
    tracker's own state), so ``state_dict()`` / ``load_state_dict()`` resume identically.

    Limits: translation only (zoom and rotation are not estimated: a least-squares scale fit on
    box centres was too noisy, BoT-SORT HOTA 66.9 on MOT17 against 68.6 with translation only),
    it needs ``min_pairs`` high-score boxes visible in both frames, it misses pans faster than
    ``max_shift`` box heights per frame, it is blind to a pan in a frame without people, and a
    group walking in step is indistinguishable from the camera.
    Estimates are in the boxes' pixel units.

    Args:
        min_score: Detections scoring below this are ignored (weak boxes are often false
            positives, which would vote for spurious shifts). Only used when boxes carry a
            score column.
        match_tolerance: Largest distance, in reference box heights, between a shifted reference
            centre and a detection centre for the pair to agree with a candidate shift.
        max_shift: Largest camera shift considered, in reference box heights.
        min_pairs: Fewest agreeing pairs needed for a non-identity estimate.
        min_fraction: Fewest agreeing pairs needed, as a fraction of the smaller box set.
        max_size_ratio: Largest height ratio (either way) between paired boxes.

    Raises:
        ValueError: For an out-of-range argument.
    """

    #: Runs without frames; the tracker passes boxes with scores and its predictions.
    needs_frame = False

    def __init__(
        self,
        min_score: float = 0.6,
        match_tolerance: float = 0.15,
        max_shift: float = 0.6,
        min_pairs: int = 4,
        min_fraction: float = 0.3,
        max_size_ratio: float = 1.25,
    ) -> None:
        for name, value, low, high in (
            ("min_score", min_score, 0.0, 1.0),
            ("match_tolerance", match_tolerance, 1e-9, None),
            ("max_shift", max_shift, 1e-9, None),
            ("min_pairs", min_pairs, 1, None),
            ("min_fraction", min_fraction, 0.0, 1.0),
            ("max_size_ratio", max_size_ratio, 1.0, None),
        ):
            check_range(f"BoxMotion {name}", value, low, high)
        self.min_score = float(min_score)
        self.match_tolerance = float(match_tolerance)
        self.max_shift = float(max_shift)
        self.min_pairs = int(min_pairs)
        self.min_fraction = float(min_fraction)
        self.max_size_ratio = float(max_size_ratio)
        self.reset()

    def __repr__(self) -> str:
        return "BoxMotion()"

    def reset(self) -> None:
        """Forget the previous frame's boxes; the next call without predictions is the identity."""
        self._previous: np.ndarray | None = None

    def state_dict(self) -> dict[str, Any]:
        """The previous frame's boxes (only used when called without predictions)."""
        return {"previous": None if self._previous is None else self._previous.copy()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`."""
        previous = state["previous"]
        self._previous = None if previous is None else np.asarray(previous, dtype=np.float64)

    def estimate(
        self,
        frame: np.ndarray | None,
        boxes: np.ndarray,
        predicted: np.ndarray | None = None,
    ) -> np.ndarray:
        """Translation from the previous frame to this one, as a 2x3 warp.

        Args:
            frame: Ignored (accepted for the :class:`CameraMotion` protocol).
            boxes: This frame's detections, ``(N, 4)`` xyxy or ``(N, 5)`` with a score column.
            predicted: ``(M, 4)`` xyxy predictions of the tracks matched in the previous frame;
                ``None`` compares with the previous frame's detections instead.

        Returns:
            ``(2, 3)`` float64 ``[[1, 0, dx], [0, 1, dy]]``, or the identity when too few boxes
            agree (and on the first frame without predictions).

        Raises:
            ValueError: On boxes or predictions that are not finite ``(N, 4|5)`` arrays.
        """
        return _check_then_estimate(self.estimate_checked, frame, boxes, predicted)

    def estimate_checked(
        self,
        frame: np.ndarray | None,
        xyxy: np.ndarray,
        confidence: np.ndarray,
        predictions: Callable[[], np.ndarray] | None,
    ) -> np.ndarray:
        """:meth:`estimate` on inputs a tracker has already checked (see :class:`CameraMotion`).

        Args:
            frame: Ignored.
            xyxy: Finite float64 ``(N, 4)`` detections.
            confidence: Their ``(N,)`` scores.
            predictions: Returns the ``(M, 4)`` predictions of :meth:`estimate`; ``None``
                compares with the previous frame's detections instead.
        """
        del frame
        reference = self._previous if predictions is None else predictions()
        warp, self._previous = _estimate_warp(
            _NO_BOXES if reference is None else np.ascontiguousarray(reference, dtype=np.float64),
            xyxy,
            confidence,
            self.min_score,
            self.min_pairs,
            self.min_fraction,
            self.match_tolerance,
            self.max_shift,
            self.max_size_ratio,
        )
        return warp


_NO_BOXES = np.empty((0, 4))


def _check_then_estimate(
    estimate_checked: Callable[..., np.ndarray],
    frame: np.ndarray | None,
    boxes: Any,
    predicted: Any,
) -> np.ndarray:
    """An ``estimate(frame, boxes, predicted)`` call: check the boxes (``(N, 4|5)``, scores
    last; boxes without scores count as sure) and the predictions, then ``estimate_checked``.

    Raises:
        ValueError: On boxes or predictions that are not finite ``(N, 4|5)`` arrays.
    """
    current = box_array(boxes, "boxes", (4, 5))
    scores = current[:, 4] if current.shape[1] == 5 else np.ones(len(current))
    if predicted is None:
        return estimate_checked(frame, current[:, :4], scores, None)
    reference = box_array(predicted, "predicted", (4,))
    return estimate_checked(frame, current[:, :4], scores, lambda: reference)


@njit(cache=True)
def _estimate_warp(
    reference, xyxy, confidence, min_score, min_pairs, min_fraction, tolerance, reach, ratio
):
    """:meth:`BoxMotion.estimate_checked`, compiled (it runs every frame): ``(warp, current)``,
    ``current`` being the detections scoring at least ``min_score`` (the next frame's reference
    when it comes without predictions)."""
    current = np.empty((len(xyxy), 4))
    m = 0
    for j in range(len(xyxy)):
        if confidence[j] >= min_score:
            current[m] = xyxy[j]
            m += 1
    current = current[:m]
    warp = np.eye(2, 3)
    needed = max(float(min_pairs), min_fraction * min(len(reference), m))
    found, shift = _voted_shift(reference, current, needed, tolerance, reach, ratio)
    if found:
        warp[:, 2] = shift
    return warp, current


@njit(cache=True)
def _voted_shift(reference, current, needed, match_tolerance, max_shift, max_size_ratio):
    """The best-voted camera shift of ``current`` against ``reference``: ``(found, shift)``.

    Detections are visited in order of their centres' x, so that each reference looks only at
    those whose x lies within reach (a binary search) instead of at every detection.
    """
    n, m = len(reference), len(current)
    shift = np.zeros(2)
    if min(n, m) < needed:
        return False, shift
    det_x, det_y, det_h = np.empty(m), np.empty(m), np.empty(m)
    for j in range(m):
        det_x[j] = (current[j, 0] + current[j, 2]) / 2
        det_y[j] = (current[j, 1] + current[j, 3]) / 2
        det_h[j] = current[j, 3] - current[j, 1]
    by_x = np.argsort(det_x)
    sorted_x = det_x[by_x]
    ref_x, ref_y, h_ref = np.empty(n), np.empty(n), np.empty(n)
    for i in range(n):
        ref_x[i] = (reference[i, 0] + reference[i, 2]) / 2
        ref_y[i] = (reference[i, 1] + reference[i, 3]) / 2
        h_ref[i] = max(reference[i, 3] - reference[i, 1], 1e-6)
    pair_i = np.empty(n * m, np.int64)
    pair_j = np.empty(n * m, np.int64)
    shift_x = np.empty(n * m)
    shift_y = np.empty(n * m)
    distance = np.empty(n * m)
    limit2 = np.empty(n * m)
    starts = np.empty(n + 1, np.int64)
    pairs = groups = 0
    for i in range(n):
        first = pairs
        within = _loose(max_shift * h_ref[i])
        for j in _within(by_x, sorted_x, ref_x[i], within):
            if not _similar_heights(det_h[j], h_ref[i], max_size_ratio):
                continue
            dx, dy = det_x[j] - ref_x[i], det_y[j] - ref_y[i]
            if dx * dx + dy * dy > within**2:
                continue  # surely out of reach: the exact test below would fail too
            reach = np.hypot(dx, dy) / h_ref[i]
            if reach < max_shift:
                pair_i[pairs], pair_j[pairs], distance[pairs] = i, j, reach
                shift_x[pairs], shift_y[pairs] = dx, dy
                limit = match_tolerance * h_ref[i]
                limit2[pairs] = limit * limit
                pairs += 1
        if pairs > first:
            starts[groups] = first
            groups += 1
    starts[groups] = pairs
    if pairs < needed:
        return False, shift
    # Candidate shifts: each reference's _SEEDS shortest plausible offsets (a pan moves every
    # box alike, so any reference whose true match is among its nearest seeds proposes the
    # right candidate; this keeps dense crowds cheap). Equal distances go to the lower index.
    candidate_x = np.empty(groups * _SEEDS)
    candidate_y = np.empty(groups * _SEEDS)
    candidates = 0
    taken = np.zeros(pairs, np.bool_)
    for g in range(groups):
        for _ in range(min(_SEEDS, starts[g + 1] - starts[g])):
            nearest = -1
            for k in range(starts[g], starts[g + 1]):
                if not taken[k] and (
                    nearest < 0
                    or distance[k] < distance[nearest]
                    or (distance[k] == distance[nearest] and pair_j[k] < pair_j[nearest])
                ):
                    nearest = k
            taken[nearest] = True
            candidate_x[candidates], candidate_y[candidates] = shift_x[nearest], shift_y[nearest]
            candidates += 1
    # A pair agrees with a candidate when the candidate explains its offset to within
    # match_tolerance of its reference height; a candidate's votes are the number of distinct
    # references with an agreeing pair.
    best, best_votes = 0, -1
    for c in range(candidates):
        votes = 0
        for g in range(groups):
            if votes + groups - g <= best_votes:
                break  # even every reference left agreeing could not beat the best
            for k in range(starts[g], starts[g + 1]):
                gx = candidate_x[c] - shift_x[k]
                gy = candidate_y[c] - shift_y[k]
                if gx * gx + gy * gy < limit2[k]:
                    votes += 1
                    break
        if votes > best_votes:
            best, best_votes = c, votes
    if best_votes < needed:
        return False, shift
    # Pair references and detections one to one near the winning shift; the warp is the median
    # displacement of those pairs, so walkers and mismatches in the minority do not move it.
    best_x, best_y = candidate_x[best], candidate_y[best]
    cost = np.full((n, m), np.inf)  # only pairs near the winning shift may be paired
    for i in range(n):
        tolerance = _loose(match_tolerance * h_ref[i])
        for j in _within(by_x, sorted_x, ref_x[i] + best_x, tolerance):
            if not _similar_heights(det_h[j], h_ref[i], max_size_ratio):
                continue
            gx, gy = det_x[j] - ref_x[i] - best_x, det_y[j] - ref_y[i] - best_y
            if gx * gx + gy * gy > tolerance**2:
                continue  # surely too far: the exact test below would fail too
            left = np.hypot(gx, gy) / h_ref[i]
            if left < match_tolerance:
                cost[i, j] = left
    # The most pairs, and of those the cheapest: with every near pair far below a threshold of
    # _FAR, each pair taken is worth about _FAR, so assign() takes as many as it can first. It
    # also takes the isolated pairs without a search and solves each linked group alone.
    col_of_row = assign(cost, _FAR)
    kept_x = np.empty(n)
    kept_y = np.empty(n)
    kept = 0
    for i in range(n):
        j = col_of_row[i]
        if j >= 0:
            kept_x[kept], kept_y[kept] = det_x[j] - ref_x[i], det_y[j] - ref_y[i]
            kept += 1
    if kept < needed:
        return False, shift
    shift[0] = np.median(kept_x[:kept])
    shift[1] = np.median(kept_y[:kept])
    return True, shift


@njit(cache=True)
def _similar_heights(height, reference_height, max_size_ratio):
    """Whether a detection may be a reference's box: heights within ``max_size_ratio`` either
    way."""
    ratio = height / reference_height
    return ratio <= max_size_ratio and ratio >= 1.0 / max_size_ratio


@njit(cache=True)
def _within(order, sorted_x, centre, half_width):
    """The detections (indices through ``order``) whose x lies within ``half_width`` of
    ``centre``, ``sorted_x`` being their x in ``order``."""
    low = np.searchsorted(sorted_x, centre - half_width, side="left")
    high = np.searchsorted(sorted_x, centre + half_width, side="right")
    return order[low:high]


@njit(cache=True)
def _loose(limit):
    """``limit`` widened by a relative 1e-9, so that a distance beyond it is beyond ``limit``
    however ``hypot`` and the squares round: a cheap pre-test never rejects what the exact
    test would accept."""
    return limit * (1.0 + 1e-9)


_FAR = 1e6
_SEEDS = 3


class FrameOrBoxMotion:
    """Pixel-based CMC when the frame is given, :class:`BoxMotion` when it is not.

    Why: BoT-SORT's camera motion compensation needs the image, and without it (a detections
    file) the step used to be skipped. Box-based estimation recovers part of that gain (MOT17
    val half, BoT-SORT: HOTA 68.1 -> 68.6, ID switches 180 -> 153; BENCHMARKS.md), so this is
    BoT-SORT's default: the pixel estimate whenever pixels exist (it is the more accurate one on
    ETH-Sunnyday), the box estimate otherwise. When a stream switches between the two, the
    pixel estimator is reset so that it never compares frames that are not consecutive.

    Args:
        method: The pixel-based :class:`CMC` method used when frames come.
    """

    #: Runs without frames too; the tracker passes boxes with scores and its predictions.
    needs_frame = False

    def __init__(self, method: str = "sparse_flow") -> None:
        # Imported here: OpenCV loads only when pixels may come, not for BoxMotion alone.
        from keeptrack.motion.camera.pixels import CMC

        self.frames = CMC(method)
        self.boxes = BoxMotion()
        self.reset()

    def __repr__(self) -> str:
        return f"FrameOrBoxMotion(method={self.frames.method!r})"

    def reset(self) -> None:
        """Forget the previous frame in both estimators."""
        self.frames.reset()
        self.boxes.reset()
        self._had_frame = False

    def state_dict(self) -> dict[str, Any]:
        """Both estimators' states and whether the last call had a frame."""
        return {
            "frames": self.frames.state_dict(),
            "boxes": self.boxes.state_dict(),
            "had_frame": self._had_frame,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`."""
        self.frames.load_state_dict(state["frames"])
        self.boxes.load_state_dict(state["boxes"])
        self._had_frame = bool(state["had_frame"])

    def estimate(
        self,
        frame: np.ndarray | None,
        boxes: np.ndarray,
        predicted: np.ndarray | None = None,
    ) -> np.ndarray:
        """Warp from the previous frame: from pixels when ``frame`` is given, else from boxes.

        Args:
            frame: The image, or ``None``.
            boxes: This frame's detections, ``(N, 4)`` xyxy or ``(N, 5)`` with scores.
            predicted: The tracker's predictions of the tracks it matched last frame (see
                :meth:`BoxMotion.estimate`).
        """
        return _check_then_estimate(self.estimate_checked, frame, boxes, predicted)

    def estimate_checked(
        self,
        frame: np.ndarray | None,
        xyxy: np.ndarray,
        confidence: np.ndarray,
        predictions: Callable[[], np.ndarray] | None,
    ) -> np.ndarray:
        """:meth:`estimate` on inputs a tracker has already checked (see
        :meth:`BoxMotion.estimate_checked`)."""
        if frame is None:
            if self._had_frame:
                self.frames.reset()
            self._had_frame = False
            return self.boxes.estimate_checked(None, xyxy, confidence, predictions)
        warp = self.frames.estimate(frame, xyxy)  # raises before any state changes
        self._had_frame = True
        self.boxes.reset()  # its previous boxes would be stale by the next frame-free call
        return warp

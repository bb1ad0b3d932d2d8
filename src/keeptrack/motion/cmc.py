"""Camera motion compensation (CMC): the global image motion between consecutive frames.

When the camera pans, every object appears to move, so constant-velocity predictions land in
the wrong place and identities switch. Estimating the background's motion as one 2x3 affine
warp (previous frame -> current frame) and moving every track's Kalman state and covariance by
it (:meth:`keeptrack.trackers.base.BaseTracker.apply_camera_motion`) removes that error; this is
BoT-SORT's "GMC" step, usable by every keeptrack tracker through its ``cmc`` argument.

Four OpenCV estimators are offered, all on a grey image shrunk by ``downscale`` and with the
detections masked out (people move on their own, so their pixels would bias the estimate):

- ``"sparse_flow"``: corners (``goodFeaturesToTrack``) followed by pyramidal Lucas-Kanade
  optical flow and a RANSAC similarity fit. BoT-SORT's choice: the fastest and robust.
- ``"orb"``: ORB keypoints and binary descriptors, brute-force matching with a ratio test.
- ``"sift"``: SIFT keypoints and descriptors; most accurate under large motion, slowest.
- ``"ecc"``: direct image alignment maximising the enhanced correlation coefficient (no
  keypoints); accurate on low-texture scenes, slow.

Without pixels (a detections file, as in the MOT17 benchmark), :class:`BoxMotion` (``"boxes"``)
estimates a global translation from the detection boxes themselves.

Precomputed warps (for example BoT-SORT's published GMC files, or :func:`save_warps` output)
are replayed by :class:`PrecomputedWarps`. Both kinds share the small :class:`CameraMotion`
protocol: ``estimate(frame, boxes) -> (2, 3)`` and ``reset()``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import cv2
import numpy as np
from numba import njit

from keeptrack.association.assignment import min_cost_matching
from keeptrack.validation import check_range

IDENTITY = np.eye(2, 3)

#: The OpenCV estimators accepted by :class:`CMC` (and by a tracker's ``cmc=`` string).
METHODS = ("sparse_flow", "orb", "sift", "ecc")

#: The ``cmc=`` name of the frame-free :class:`BoxMotion` estimator.
BOXES = "boxes"

#: The ``cmc=`` name of :class:`FrameOrBoxMotion`: sparse flow on frames, boxes without.
AUTO = "auto"


@runtime_checkable
class CameraMotion(Protocol):
    """What a tracker needs from a camera-motion source.

    A tracker calls ``estimate`` only on frames it is given an image for, unless the object
    has ``needs_frame = False`` (:class:`BoxMotion`, :class:`FrameOrBoxMotion`): those are
    called on every frame with ``(N, 5)`` boxes (score last) and a ``predicted=`` keyword
    holding the tracker's ``(M, 4)`` predictions of the tracks it matched in the last frame.
    """

    def estimate(self, frame: np.ndarray | None, boxes: np.ndarray) -> np.ndarray:
        """The 2x3 warp from the previous frame to ``frame`` (``boxes``: its detections, xyxy)."""
        ...

    def reset(self) -> None:
        """Forget the previous frame (a new stream starts)."""
        ...


def motion_state(cmc: Any) -> dict[str, Any] | None:
    """What a camera-motion object remembers between frames, or ``None`` if it cannot say.

    Why: a tracker's ``state_dict()`` must resume a stream identically, and pixel-based CMC
    compares each frame with the previous one. The classes here expose ``state_dict`` /
    ``load_state_dict``; a user's own estimator that does not is simply not saved.
    """
    save = getattr(cmc, "state_dict", None)
    return save() if callable(save) else None


def load_motion_state(cmc: Any, state: dict[str, Any] | None) -> None:
    """Restore what :func:`motion_state` saved; a missing state resets the estimator."""
    load = getattr(cmc, "load_state_dict", None)
    if state is not None and callable(load):
        load(state)
    elif cmc is not None:
        cmc.reset()


class CMC:
    """Global camera motion between consecutive frames, estimated with OpenCV.

    Args:
        method: One of ``"sparse_flow"`` (default, BoT-SORT's), ``"orb"``, ``"sift"``, ``"ecc"``.
        downscale: Integer shrink factor applied before estimation; 2 is BoT-SORT's default and
            keeps the cost per 640x480 frame to a few milliseconds. The translation is scaled
            back, so warps are always in full-resolution pixels.
        mask_detections: Exclude the detection boxes (foreground) from feature extraction.
        max_features: Corners or keypoints extracted per frame. 200 keeps sparse optical flow
            at about 4 ms per 640x480 frame on two idle cores, with the same tracking gain on
            ETH-Sunnyday as 1000 (benchmarks/cmc.py).
        min_features: Fewer matched points than this gives the identity warp for the frame
            (with one warning per instance) instead of an unreliable fit.

    Raises:
        ValueError: For an unknown method or a non-positive downscale.
    """

    def __init__(
        self,
        method: str = "sparse_flow",
        downscale: int = 2,
        mask_detections: bool = True,
        max_features: int = 200,
        min_features: int = 8,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"cmc method must be one of {', '.join(METHODS)}; got {method!r}")
        if isinstance(downscale, bool) or int(downscale) != downscale or downscale < 1:
            raise ValueError(f"downscale must be a positive integer; got {downscale!r}")
        self.method = method
        self.downscale = int(downscale)
        self.mask_detections = bool(mask_detections)
        self.max_features = int(max_features)
        self.min_features = int(min_features)
        self._warned = False
        self.reset()

    def __repr__(self) -> str:
        return f"CMC(method={self.method!r}, downscale={self.downscale})"

    def reset(self) -> None:
        """Forget the previous frame; the next call returns the identity."""
        self._previous: dict[str, Any] | None = None
        self._size: tuple[int, int] | None = None

    def state_dict(self) -> dict[str, Any]:
        """The previous frame's prepared image and mask (features are recomputed on load)."""
        previous = self._previous
        return {
            "grey": None if previous is None else previous["grey"].copy(),
            "mask": None if previous is None else previous["mask"].copy(),
            "size": self._size,
            "warned": self._warned,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`: the next frame is compared with the saved one."""
        self.reset()
        self._size = None if state["size"] is None else tuple(state["size"])
        self._warned = bool(state["warned"])
        if state["grey"] is not None:
            self._previous = self._describe(np.asarray(state["grey"]), np.asarray(state["mask"]))

    def estimate(self, frame: np.ndarray | None, boxes: np.ndarray) -> np.ndarray:
        """Warp from the previous frame to ``frame``, in full-resolution pixel coordinates.

        Args:
            frame: BGR ``(H, W, 3)`` or grey ``(H, W)`` image; ``None`` gives the identity.
            boxes: ``(N, 4)`` xyxy detections of ``frame``, masked out of the estimate.

        Returns:
            ``(2, 3)`` float64 affine matrix. The identity on the first frame, after a change
            of frame size (with a warning) and when the estimate fails.
        """
        if frame is None:
            return IDENTITY.copy()
        size = frame.shape[:2]
        if self._size is not None and size != self._size:
            warnings.warn(
                f"CMC: frame size changed from {self._size} to {size}; motion estimate reset",
                RuntimeWarning,
                stacklevel=3,
            )
            self._previous = None
        self._size = size
        grey, mask = self._prepare(frame, boxes)
        current = self._describe(grey, mask)
        previous, self._previous = self._previous, current
        if previous is None:
            return IDENTITY.copy()
        warp = self._match(previous, current)
        if warp is None:
            if not self._warned:
                warnings.warn(
                    f"CMC ({self.method}): too few features to estimate camera motion; "
                    "using the identity for such frames (warned once)",
                    RuntimeWarning,
                    stacklevel=3,
                )
                self._warned = True
            return IDENTITY.copy()
        warp = warp.astype(np.float64)
        warp[:, 2] *= self.downscale
        return warp

    # --- steps ------------------------------------------------------------------------------
    def _prepare(self, frame: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        if grey.dtype != np.uint8:
            grey = cv2.normalize(grey, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
        h, w = grey.shape
        if self.downscale > 1:
            size = (max(w // self.downscale, 1), max(h // self.downscale, 1))
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)
            h, w = grey.shape
        # The outer 2% border is masked too: it holds rolling-shutter and vignetting artefacts.
        mask = np.zeros((h, w), dtype=np.uint8)
        mask[int(0.02 * h) : int(0.98 * h), int(0.02 * w) : int(0.98 * w)] = 255
        if self.mask_detections and len(boxes):
            scaled = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) / self.downscale
            lo = np.clip(np.floor(scaled[:, :2]), 0, [w, h]).astype(int)
            hi = np.clip(np.ceil(scaled[:, 2:]), 0, [w, h]).astype(int)
            for (x1, y1), (x2, y2) in zip(lo, hi, strict=True):
                mask[y1:y2, x1:x2] = 0
        return grey, mask

    def _describe(self, grey: np.ndarray, mask: np.ndarray) -> dict[str, Any]:
        """Per-frame data the next frame is matched against (image, mask, and features)."""
        state: dict[str, Any] = {"grey": grey, "mask": mask}
        if self.method == "sparse_flow":
            state["points"] = cv2.goodFeaturesToTrack(
                grey,
                maxCorners=self.max_features,
                qualityLevel=0.01,
                minDistance=5,
                blockSize=3,
                mask=mask,
                useHarrisDetector=False,
                k=0.04,
            )
        elif self.method in ("orb", "sift"):
            detector = _feature_detector(self.method, self.max_features)
            state["keypoints"], state["descriptors"] = detector.detectAndCompute(grey, mask)
        return state

    def _match(self, previous: dict[str, Any], current: dict[str, Any]) -> np.ndarray | None:
        if self.method == "ecc":
            return self._ecc(previous, current)
        if self.method == "sparse_flow":
            src = previous["points"]
            if src is None or len(src) < self.min_features:
                return None
            dst, status, _ = cv2.calcOpticalFlowPyrLK(previous["grey"], current["grey"], src, None)
            ok = status.ravel() == 1
            src, dst = src[ok].reshape(-1, 2), dst[ok].reshape(-1, 2)
        else:
            src, dst = self._match_descriptors(previous, current)
        if len(src) < self.min_features:
            return None
        warp, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC)
        if warp is None or inliers is None or int(inliers.sum()) < self.min_features:
            return None
        return warp

    def _match_descriptors(
        self, previous: dict[str, Any], current: dict[str, Any]
    ) -> tuple[np.ndarray, np.ndarray]:
        empty = np.empty((0, 2), dtype=np.float32)
        d1, d2 = previous["descriptors"], current["descriptors"]
        if d1 is None or d2 is None or len(d1) < 2 or len(d2) < 2:
            return empty, empty
        norm = cv2.NORM_HAMMING if self.method == "orb" else cv2.NORM_L2
        pairs = cv2.BFMatcher(norm).knnMatch(d1, d2, k=2)
        # Lowe's ratio test drops ambiguous matches (repeated texture such as windows).
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < 0.75 * p[1].distance]
        if not good:
            return empty, empty
        src = np.float32([previous["keypoints"][m.queryIdx].pt for m in good])
        dst = np.float32([current["keypoints"][m.trainIdx].pt for m in good])
        return src, dst

    def _ecc(self, previous: dict[str, Any], current: dict[str, Any]) -> np.ndarray | None:
        warp = np.eye(2, 3, dtype=np.float32)
        criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
        try:
            _, warp = cv2.findTransformECC(
                previous["grey"],
                current["grey"],
                warp,
                cv2.MOTION_EUCLIDEAN,
                criteria,
                previous["mask"],
                1,
            )
        except cv2.error:
            return None
        # ECC's warp maps template (previous) coordinates onto the input image: prev -> current.
        return warp


def _feature_detector(method: str, count: int) -> Any:
    if method == "orb":
        return cv2.ORB_create(nfeatures=count)
    return cv2.SIFT_create(nfeatures=count)


class PrecomputedWarps:
    """Replay warps computed earlier, one per :meth:`estimate` call, in frame order.

    Reads a ``.npy`` array ``(T, 2, 3)`` or a text file with one frame per line: either six
    numbers (the row-major warp) or a frame index followed by six numbers (BoT-SORT's GMC
    files). Frames past the end of the file get the identity.

    Args:
        source: Path to the file, or an array of warps ``(T, 2, 3)``.
    """

    def __init__(self, source: str | os.PathLike | np.ndarray) -> None:
        warps = source if isinstance(source, np.ndarray) else _read_warps(Path(source))
        warps = np.asarray(warps, dtype=np.float64)
        if warps.ndim != 3 or warps.shape[1:] != (2, 3) or not np.isfinite(warps).all():
            raise ValueError(f"precomputed warps must be finite (T, 2, 3); got {warps.shape}")
        self.warps = warps
        self.reset()

    def reset(self) -> None:
        """Rewind to the first frame."""
        self._index = 0

    def state_dict(self) -> dict[str, Any]:
        """How many warps have been replayed."""
        return {"index": self._index}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the replay where :meth:`state_dict` was taken."""
        self._index = int(state["index"])

    def estimate(self, frame: np.ndarray | None, boxes: np.ndarray) -> np.ndarray:
        """The next stored warp (``frame`` and ``boxes`` are not needed)."""
        del frame, boxes
        index, self._index = self._index, self._index + 1
        return self.warps[index].copy() if index < len(self.warps) else IDENTITY.copy()


def _read_warps(path: Path) -> np.ndarray:
    if not path.is_file():
        raise FileNotFoundError(f"warp file not found: {path}")
    if path.suffix == ".npy":
        return np.load(path)
    rows = np.loadtxt(path, ndmin=2)
    if rows.shape[1] not in (6, 7):
        raise ValueError(f"{path}: expected 6 or 7 numbers per line, got {rows.shape[1]}")
    return rows[:, -6:].reshape(-1, 2, 3)


def save_warps(path: str | os.PathLike, warps: np.ndarray) -> None:
    """Write warps ``(T, 2, 3)`` as text, ``frame a11 a12 a13 a21 a22 a23`` per line."""
    warps = np.asarray(warps, dtype=np.float64).reshape(-1, 6)
    rows = np.column_stack([np.arange(len(warps)), warps])
    np.savetxt(path, rows, fmt=["%d"] + ["%.9g"] * 6)


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
        del frame
        current = _box_array(boxes, "boxes", (4, 5))
        if current.shape[1] == 5:
            current = current[current[:, 4] >= self.min_score, :4]
        if predicted is None:
            reference, self._previous = self._previous, current
        else:
            reference = _box_array(predicted, "predicted", (4,))
            self._previous = current
        if reference is None:
            return IDENTITY.copy()
        shift = self._fit(reference, current)
        if shift is None:
            return IDENTITY.copy()
        warp = IDENTITY.copy()
        warp[:, 2] = shift
        return warp

    def _fit(self, reference: np.ndarray, current: np.ndarray) -> np.ndarray | None:
        """Median displacement of the pairs agreeing with the best-voted shift, or ``None``."""
        needed = max(self.min_pairs, self.min_fraction * min(len(reference), len(current)))
        found, shift = _voted_shift(
            np.ascontiguousarray(reference, dtype=np.float64),
            np.ascontiguousarray(current, dtype=np.float64),
            float(needed),
            self.match_tolerance,
            self.max_shift,
            self.max_size_ratio,
        )
        return shift if found else None


@njit(cache=True)
def _voted_shift(reference, current, needed, match_tolerance, max_shift, max_size_ratio):
    """:meth:`BoxMotion._fit`, compiled (it runs every frame): ``(found, shift)``."""
    n, m = len(reference), len(current)
    shift = np.zeros(2)
    if min(n, m) < needed:
        return False, shift
    h_ref = np.empty(n)
    offsets = np.empty((n, m, 2))
    reach = np.empty((n, m))
    similar = np.zeros((n, m), np.bool_)
    pair_i = np.empty(n * m, np.int64)
    pair_j = np.empty(n * m, np.int64)
    pairs = 0
    for i in range(n):
        h_ref[i] = max(reference[i, 3] - reference[i, 1], 1e-6)
        cx, cy = (reference[i, 0] + reference[i, 2]) / 2, (reference[i, 1] + reference[i, 3]) / 2
        for j in range(m):
            ratio = (current[j, 3] - current[j, 1]) / h_ref[i]
            if not (ratio <= max_size_ratio and ratio >= 1.0 / max_size_ratio):
                continue
            similar[i, j] = True
            offsets[i, j, 0] = (current[j, 0] + current[j, 2]) / 2 - cx
            offsets[i, j, 1] = (current[j, 1] + current[j, 3]) / 2 - cy
            reach[i, j] = np.hypot(offsets[i, j, 0], offsets[i, j, 1]) / h_ref[i]
            if reach[i, j] < max_shift:
                pair_i[pairs], pair_j[pairs] = i, j
                pairs += 1
    if pairs < needed:
        return False, shift
    # Candidate shifts: each reference's _SEEDS shortest plausible offsets (a pan moves every
    # box alike, so any reference whose true match is among its nearest seeds proposes the
    # right candidate; this keeps dense crowds cheap). Pairs come grouped by reference.
    shift_x = np.empty(pairs)
    shift_y = np.empty(pairs)
    distance = np.empty(pairs)
    limit2 = np.empty(pairs)
    for k in range(pairs):
        i, j = pair_i[k], pair_j[k]
        shift_x[k], shift_y[k], distance[k] = offsets[i, j, 0], offsets[i, j, 1], reach[i, j]
        limit = match_tolerance * h_ref[i]
        limit2[k] = limit * limit
    starts = [0]
    for k in range(1, pairs):
        if pair_i[k] != pair_i[k - 1]:
            starts.append(k)
    starts.append(pairs)
    candidate_x, candidate_y = [], []
    taken = np.zeros(pairs, np.bool_)
    for g in range(len(starts) - 1):
        for _ in range(min(_SEEDS, starts[g + 1] - starts[g])):
            nearest = -1
            for k in range(starts[g], starts[g + 1]):
                if not taken[k] and (nearest < 0 or distance[k] < distance[nearest]):
                    nearest = k
            taken[nearest] = True
            candidate_x.append(shift_x[nearest])
            candidate_y.append(shift_y[nearest])
    # A pair agrees with a candidate when the candidate explains its offset to within
    # match_tolerance of its reference height; a candidate's votes are the number of distinct
    # references with an agreeing pair.
    best, best_votes = 0, -1
    for c in range(len(candidate_x)):
        votes = 0
        for g in range(len(starts) - 1):
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
    cost = np.full((n, m), _FAR)
    for i in range(n):
        for j in range(m):
            if similar[i, j]:
                left = np.hypot(offsets[i, j, 0] - best_x, offsets[i, j, 1] - best_y) / h_ref[i]
                if left < match_tolerance:
                    cost[i, j] = left
    col_of_row = min_cost_matching(cost)
    kept_x, kept_y = [], []
    for i in range(n):
        j = col_of_row[i]
        if j >= 0 and cost[i, j] < match_tolerance:
            kept_x.append(offsets[i, j, 0])
            kept_y.append(offsets[i, j, 1])
    if len(kept_x) < needed:
        return False, shift
    shift[0] = np.median(np.array(kept_x))
    shift[1] = np.median(np.array(kept_y))
    return True, shift


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
        current = _box_array(boxes, "boxes", (4, 5))
        if frame is None:
            if self._had_frame:
                self.frames.reset()
            self._had_frame = False
            return self.boxes.estimate(None, current, predicted)
        self._had_frame = True
        self.boxes.reset()  # its previous boxes would be stale by the next frame-free call
        return self.frames.estimate(frame, current[:, :4])


def _box_array(boxes: Any, name: str, widths: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(boxes, dtype=np.float64)
    if array.size == 0:
        return np.empty((0, widths[0]))
    if array.ndim != 2 or array.shape[1] not in widths or not np.isfinite(array).all():
        cols = " or ".join(str(w) for w in widths)
        raise ValueError(f"{name} must be a finite (N, {cols}) array; got shape {array.shape}")
    return array


def make_cmc(cmc: str | CameraMotion | None) -> CameraMotion | None:
    """Resolve a tracker's ``cmc`` argument: ``None``, a method name or a camera-motion object.

    ``"boxes"`` gives :class:`BoxMotion`, ``"auto"`` :class:`FrameOrBoxMotion` (sparse flow
    on frames, boxes without); the other names give :class:`CMC`.

    Raises:
        ValueError: For an unknown method name or an object without ``estimate``/``reset``.
    """
    if cmc is None or isinstance(cmc, CameraMotion):
        return cmc
    if isinstance(cmc, str):
        if cmc == BOXES:
            return BoxMotion()
        if cmc == AUTO:
            return FrameOrBoxMotion()
        if cmc not in METHODS:
            names = ", ".join(METHODS + (BOXES, AUTO))
            raise ValueError(f"cmc method must be one of {names}; got {cmc!r}")
        return CMC(cmc)
    raise ValueError(
        f"cmc must be None, one of {', '.join(METHODS + (BOXES, AUTO))}, or an object with "
        f"estimate(frame, boxes) and reset(); got {type(cmc).__name__}"
    )

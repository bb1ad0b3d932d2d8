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

IDENTITY = np.eye(2, 3)

#: The OpenCV estimators accepted by :class:`CMC` (and by a tracker's ``cmc=`` string).
METHODS = ("sparse_flow", "orb", "sift", "ecc")


@runtime_checkable
class CameraMotion(Protocol):
    """What a tracker needs from a camera-motion source."""

    def estimate(self, frame: np.ndarray | None, boxes: np.ndarray) -> np.ndarray:
        """The 2x3 warp from the previous frame to ``frame`` (``boxes``: its detections, xyxy)."""
        ...

    def reset(self) -> None:
        """Forget the previous frame (a new stream starts)."""
        ...


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


def make_cmc(cmc: str | CameraMotion | None) -> CameraMotion | None:
    """Resolve a tracker's ``cmc`` argument: ``None``, a method name or a camera-motion object.

    Raises:
        ValueError: For an unknown method name or an object without ``estimate``/``reset``.
    """
    if cmc is None or isinstance(cmc, CameraMotion):
        return cmc
    if isinstance(cmc, str):
        return CMC(cmc)
    raise ValueError(
        f"cmc must be None, one of {', '.join(METHODS)}, or an object with estimate(frame, "
        f"boxes) and reset(); got {type(cmc).__name__}"
    )

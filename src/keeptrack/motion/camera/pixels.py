"""Camera motion estimated from the pixels of consecutive frames, with OpenCV.

Four estimators, all on a grey image shrunk by ``downscale`` and with the detections masked out
(people move on their own, so their pixels would bias the estimate):

- ``"sparse_flow"``: corners (``goodFeaturesToTrack``) followed by pyramidal Lucas-Kanade
  optical flow and a RANSAC similarity fit. BoT-SORT's choice: the fastest and robust.
- ``"orb"``: ORB keypoints and binary descriptors, brute-force matching with a ratio test.
- ``"sift"``: SIFT keypoints and descriptors; most accurate under large motion, slowest.
- ``"ecc"``: direct image alignment maximising the enhanced correlation coefficient (no
  keypoints); accurate on low-texture scenes, slow.
"""

from __future__ import annotations

import warnings
from typing import Any

import cv2
import numpy as np

from keeptrack.motion.camera.base import IDENTITY, METHODS, box_array


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

    #: Pixel-based: a tracker calls it only on frames that come with an image.
    needs_frame = True

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

    def estimate(
        self, frame: np.ndarray | None, boxes: np.ndarray, predicted: np.ndarray | None = None
    ) -> np.ndarray:
        """Warp from the previous frame to ``frame``, in full-resolution pixel coordinates.

        Args:
            frame: BGR ``(H, W, 3)``, BGRA ``(H, W, 4)`` or grey ``(H, W)`` / ``(H, W, 1)``
                image of any real dtype (non-``uint8`` images are rescaled to 0-255);
                ``None`` gives the identity.
            boxes: ``(N, 4)`` xyxy detections of ``frame`` (a fifth, score column is
                ignored), masked out of the estimate.
            predicted: Ignored (the pixels alone give the motion).

        Returns:
            ``(2, 3)`` float64 affine matrix. The identity on the first frame, after a change
            of frame size (with a warning) and when the estimate fails.

        Raises:
            ValueError: For a frame or boxes of another shape or kind, before anything is
                remembered (the next frame is still compared with the last good one).
        """
        del predicted
        if frame is None:
            return IDENTITY.copy()
        _check_frame(frame)
        boxes = box_array(boxes, "boxes", (4, 5))[:, :4]
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
        grey = _grey(frame)
        h, w = grey.shape
        if self.downscale > 1:
            size = (max(w // self.downscale, 1), max(h // self.downscale, 1))
            grey = cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)
            h, w = grey.shape
        # The outer 2% border is masked too: it holds rolling-shutter and vignetting artefacts.
        mask = np.zeros((h, w), dtype=np.uint8)
        mask[int(0.02 * h) : int(0.98 * h), int(0.02 * w) : int(0.98 * w)] = 255
        if self.mask_detections and len(boxes):
            scaled = boxes / self.downscale
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
            # nextPts=None lets OpenCV allocate the output, as documented; its stub omits None
            dst, status, _ = cv2.calcOpticalFlowPyrLK(  # type: ignore[call-overload]
                previous["grey"], current["grey"], src, None
            )
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
        src = np.array([previous["keypoints"][m.queryIdx].pt for m in good], dtype=np.float32)
        dst = np.array([current["keypoints"][m.trainIdx].pt for m in good], dtype=np.float32)
        return src, dst

    def _ecc(self, previous: dict[str, Any], current: dict[str, Any]) -> np.ndarray | None:
        warp: np.ndarray = np.eye(2, 3, dtype=np.float32)
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


#: Depths ``cv2.cvtColor`` converts, and the wider set ``cv2.normalize`` rescales.
_COLOUR_DTYPES = (np.uint8, np.uint16, np.float32)
_NORMALIZE_DTYPES = (np.uint8, np.int8, np.uint16, np.int16, np.int32, np.float32, np.float64)


def _check_frame(frame: Any) -> None:
    """A grey ``(H, W)``/``(H, W, 1)``, BGR or BGRA image of real numbers, else ValueError.

    Why here and not only in the trackers: a :class:`CMC` is also used on its own, and OpenCV's
    own errors (``cv2.error``) neither name the argument nor leave the estimator untouched.
    """
    if not isinstance(frame, np.ndarray) or frame.dtype.kind not in "uif":
        kind = frame.dtype if isinstance(frame, np.ndarray) else type(frame).__name__
        raise ValueError(f"CMC frame must be a NumPy image of real numbers; got {kind}")
    channels_ok = frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] in (1, 3, 4))
    if not channels_ok or frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"CMC frame must have shape (H, W) or (H, W, 1|3|4); got {frame.shape}")


def _grey(frame: np.ndarray) -> np.ndarray:
    """The ``uint8`` grey image of a frame :func:`_check_frame` accepted."""
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 3:
        if frame.dtype not in _COLOUR_DTYPES:
            frame = frame.astype(np.float32)
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)  # BGRA too: alpha is ignored
    if frame.dtype == np.uint8:
        return frame
    if frame.dtype not in _NORMALIZE_DTYPES:
        frame = frame.astype(np.float64)
    # dst=None allocates the output (documented); the stub omits None
    return cv2.normalize(frame, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)  # type: ignore[call-overload]


def _feature_detector(method: str, count: int) -> Any:
    if method == "orb":
        return cv2.ORB.create(nfeatures=count)
    return cv2.SIFT.create(nfeatures=count)

"""Moving-object detection by background subtraction: no weights, no downloads.

For a static camera, whatever differs from a learned background model is a moving object.
OpenCV's MOG2 (Zivkovic 2004, a per-pixel Gaussian mixture) or KNN subtractor gives a
foreground mask; shadows are dropped, small holes closed, and each remaining blob becomes one
box. It cannot tell classes apart or split two people walking side by side, but it runs at
hundreds of frames per second and needs nothing beyond OpenCV.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import supervision as sv

from keeptrack.detectors.base import DetectorError, empty_detections

#: Everything the motion detector finds is reported under this one class.
MOTION_CLASS = {0: "object"}

_SHADOW_FREE = 200  # MOG2/KNN mark shadows 127 and foreground 255


class MotionDetector:
    """Background subtraction + contours.

    Args:
        method: ``"mog2"`` or ``"knn"``.
        history: Frames the background model remembers; objects that stop for about this
            long fade into the background.
        threshold: Subtractor sensitivity (MOG2's ``varThreshold``, KNN's ``dist2Threshold``
            uses ``threshold * 25``); higher ignores more noise and weak motion.
        min_area: Blobs smaller than this (pixels, or a fraction of the frame when below 1)
            are noise, not objects.
        kernel: Size of the morphological kernel that removes speckles and joins the parts of
            one object (legs, head) into one blob.
        warmup: Frames used only to learn the background, at a fast rate, before boxes are
            reported; the first frames flag almost everything as foreground.
    """

    class_names = MOTION_CLASS

    def __init__(
        self,
        method: str = "mog2",
        history: int = 500,
        threshold: float = 16.0,
        min_area: float = 0.0005,
        kernel: int = 5,
        warmup: int = 2,
    ) -> None:
        method = method.lower()
        self.subtractor: Any
        if method == "mog2":
            self.subtractor = cv2.createBackgroundSubtractorMOG2(history, threshold, True)
        elif method == "knn":
            self.subtractor = cv2.createBackgroundSubtractorKNN(history, threshold * 25.0, True)
        else:
            raise DetectorError(f"unknown motion method {method!r}; choose mog2 or knn")
        if min_area <= 0 or kernel < 1 or warmup < 0:
            raise DetectorError("min_area must be > 0, kernel >= 1 and warmup >= 0")
        self.min_area = min_area
        self._rate = 1.0 / history
        self.warmup = warmup
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (kernel, kernel))
        self._seen = 0

    def foreground(self, frame: np.ndarray) -> np.ndarray:
        """Update the background model with ``frame``; return its cleaned binary foreground."""
        # OpenCV's automatic rate is 1/frames-seen: fast while the model forms, but it would
        # keep absorbing objects that entered early; after warm-up, learn at 1/history.
        rate = -1.0 if self._seen < self.warmup else self._rate
        mask = self.subtractor.apply(frame, learningRate=rate)
        _, mask = cv2.threshold(mask, _SHADOW_FREE, 255, cv2.THRESH_BINARY)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, self._kernel, iterations=2)

    def detect(self, frame: np.ndarray) -> sv.Detections:
        """One box per foreground blob; confidence is 1 (background subtraction has no score)."""
        mask = self.foreground(frame)
        self._seen += 1
        if self._seen <= self.warmup:
            return empty_detections()
        min_area = self.min_area * mask.size if self.min_area < 1 else self.min_area
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        stats = stats[1:n]  # label 0 is the background
        stats = stats[stats[:, cv2.CC_STAT_AREA] >= min_area]
        if len(stats) == 0:
            return empty_detections()
        left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
        xyxy = np.column_stack(
            [left, top, left + stats[:, cv2.CC_STAT_WIDTH], top + stats[:, cv2.CC_STAT_HEIGHT]]
        )
        count = len(xyxy)
        return sv.Detections(
            xyxy=xyxy.astype(np.float32),
            confidence=np.ones(count, dtype=np.float32),
            class_id=np.zeros(count, dtype=int),
            data={"class_name": np.full(count, "object", dtype=object)},
        )

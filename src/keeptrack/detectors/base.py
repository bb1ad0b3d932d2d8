"""The detector protocol and the post-processing every backend shares.

A detector is anything with ``detect(frame) -> supervision.Detections``: the pipeline never
needs to know which model produced the boxes. Backends fill ``class_id`` and, when they know
them, ``data["class_name"]`` so class filters and labels work the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

import numpy as np
import supervision as sv


class DetectorError(RuntimeError):
    """A detector that cannot be built or run (missing package, missing weights, bad option)."""


class MissingDependencyError(DetectorError):
    """An optional detector backend whose package is not installed; the message names the pip
    command that fixes it."""

    def __init__(self, detector: str, package: str, pip_command: str) -> None:
        super().__init__(
            f"the {detector!r} detector needs the {package!r} package, which is not installed; "
            f"install it with: {pip_command}"
        )
        self.pip_command = pip_command


@runtime_checkable
class Detector(Protocol):
    """Finds objects in one BGR frame.

    ``class_names`` maps the ids the detector emits to names, or is ``None`` when the
    vocabulary is open or unknown (then class filters match on ``data["class_name"]`` only).
    """

    class_names: Mapping[int, str] | None

    def detect(self, frame: np.ndarray) -> sv.Detections:
        """Detections of ``frame`` as ``xyxy`` pixel boxes with ``confidence`` and ``class_id``."""
        ...


def empty_detections() -> sv.Detections:
    """No detections, with every field the pipeline reads present (an empty frame is normal)."""
    return sv.Detections(
        xyxy=np.empty((0, 4), dtype=np.float32),
        confidence=np.empty(0, dtype=np.float32),
        class_id=np.empty(0, dtype=int),
        data={"class_name": np.empty(0, dtype=object)},
    )


def resolve_classes(
    requested: Iterable[str | int] | None, class_names: Mapping[int, str] | None
) -> set[str] | None:
    """Turn ``--classes person,3`` into a set of class names, validated against the detector.

    Numbers are looked up in ``class_names``; names are checked against it so a typo fails at
    start-up instead of silently filtering every box away.

    Raises:
        DetectorError: For a class the detector cannot produce, listing the ones it can.
    """
    if not requested:
        return None
    known = {name.lower(): name for name in (class_names or {}).values()}
    wanted: set[str] = set()
    for item in requested:
        text = str(item).strip()
        if not text:
            continue
        if text.isdigit() and class_names is not None:
            if int(text) not in class_names:
                raise DetectorError(
                    f"unknown class id {text}; the detector knows ids {sorted(class_names)}"
                )
            wanted.add(class_names[int(text)])
        elif class_names is not None and text.lower() not in known:
            valid = ", ".join(sorted(known.values()))
            raise DetectorError(f"unknown class {text!r}; the detector reports: {valid}")
        else:
            wanted.add(known.get(text.lower(), text))
    return wanted or None


class DetectionFilter:
    """Class filter, confidence threshold and optional NMS, applied after any backend.

    Args:
        classes: Class names to keep (``None`` keeps all), see :func:`resolve_classes`.
        confidence: Boxes scoring below this are dropped. Keep it low for ByteTrack, which
            uses weak boxes to hold identities through occlusion.
        nms_iou: IoU above which overlapping boxes of one class are suppressed; ``None`` when
            the backend already runs NMS (most do).
    """

    def __init__(
        self, classes: set[str] | None = None, confidence: float = 0.0, nms_iou: float | None = None
    ) -> None:
        if not 0.0 <= confidence <= 1.0:
            raise DetectorError(f"confidence must lie in [0, 1]; got {confidence}")
        if nms_iou is not None and not 0.0 < nms_iou <= 1.0:
            raise DetectorError(f"nms_iou must lie in (0, 1]; got {nms_iou}")
        self.classes = {c.lower() for c in classes} if classes else None
        self.confidence = confidence
        self.nms_iou = nms_iou

    def __call__(self, detections: sv.Detections) -> sv.Detections:
        if len(detections) == 0:
            return detections
        keep = np.ones(len(detections), dtype=bool)
        if detections.confidence is not None:
            keep &= detections.confidence >= self.confidence
        if self.classes is not None:
            names = detections.data.get("class_name")
            if names is None:
                keep[:] = False
            else:
                keep &= np.array([str(n).lower() in self.classes for n in names], dtype=bool)
        detections = detections[keep]  # type: ignore[assignment]  # a mask gives Detections
        if self.nms_iou is not None and len(detections) > 1:
            detections = detections.with_nms(threshold=self.nms_iou)
        return detections


class FilteredDetector:
    """A detector followed by a :class:`DetectionFilter`; itself a :class:`Detector`.

    ``renumber`` (detector class id -> output class id) gives the classes another numbering,
    e.g. :func:`~keeptrack.detectors.coco.coco80_ids`; ids it does not list become -1.
    """

    def __init__(
        self,
        detector: Detector,
        detection_filter: DetectionFilter,
        renumber: Mapping[int, int] | None = None,
    ) -> None:
        self.detector = detector
        self.filter = detection_filter
        self.renumber = renumber
        self.class_names = detector.class_names
        if renumber is not None and detector.class_names is not None:
            self.class_names = {
                renumber[k]: v for k, v in detector.class_names.items() if renumber.get(k, -1) >= 0
            }

    def detect(self, frame: np.ndarray) -> sv.Detections:
        detections = self.filter(self.detector.detect(frame))
        if self.renumber is not None and detections.class_id is not None:
            table = self.renumber
            detections.class_id = np.array(
                [table.get(int(c), -1) for c in detections.class_id], dtype=int
            )
        return detections

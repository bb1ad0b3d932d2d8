"""Detector backends behind one protocol, chosen by name (``keeptrack track --detector``).

=================  =====================================================  ======================
name               what                                                   needs
=================  =====================================================  ======================
``file``           a MOTChallenge det file (``detections=``)              nothing
``ssd-mobilenet``  SSD-MobileNetV2-COCO, or any SSD-layout model, cv2.dnn  ``keeptrack[detect]``
``motion``         background subtraction for static cameras               nothing
``ultralytics``    YOLO via ``ultralytics``                               ``ultralytics``
``transformers``   DETR-family via Hugging Face ``transformers``          ``transformers torch``
``inference``      Roboflow ``inference`` models                          ``inference``
``rfdetr``         Roboflow RF-DETR                                       ``rfdetr``
=================  =====================================================  ======================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from keeptrack.detectors.base import (
    DetectionFilter,
    Detector,
    DetectorError,
    FilteredDetector,
    MissingDependencyError,
    resolve_classes,
)
from keeptrack.detectors.coco import CLASS_IDS, coco80_ids

#: Default score floor per detector; ByteTrack wants weak boxes, so these stay low.
DEFAULT_CONFIDENCE: dict[str, float] = {
    "file": 0.0,
    "ssd-mobilenet": 0.1,
    "motion": 0.0,
    "ultralytics": 0.1,
    "transformers": 0.1,
    "inference": 0.1,
    "rfdetr": 0.1,
}

DETECTORS = tuple(DEFAULT_CONFIDENCE)


def _build(
    name: str,
    model: str | None,
    config: str | None,
    detections: str | None,
    input_size: tuple[int, int] | None,
    det_scores: str = "reject",
) -> Any:
    """The bare backend; imports happen here so unused backends cost nothing."""
    if input_size is not None and name != "ssd-mobilenet":
        raise DetectorError(f"an input size applies to ssd-mobilenet only, not to {name!r}")
    if name == "file":
        from keeptrack.detectors.file import FileDetector

        if detections is None:
            raise DetectorError(
                "the 'file' detector needs --detections PATH (a MOT det.txt); a MOTChallenge "
                "sequence folder source uses its det/det.txt"
            )
        return FileDetector(Path(detections), scores=det_scores)
    if name == "ssd-mobilenet":
        from keeptrack.detectors.opencv_dnn import OpenCVDNNDetector

        options: dict[str, Any] = {"input_size": input_size} if input_size else {}
        return OpenCVDNNDetector(model, config, **options)
    if name == "motion":
        from keeptrack.detectors.motion import MotionDetector

        return MotionDetector()
    from keeptrack.detectors import adapters

    factories: dict[str, Callable[..., Any]] = {
        "ultralytics": adapters.UltralyticsDetector,
        "transformers": adapters.TransformersDetector,
        "inference": adapters.InferenceDetector,
        "rfdetr": adapters.RFDETRDetector,
    }
    kwargs = {} if model is None else {"model": model}
    return factories[name](**kwargs)


def create_detector(
    name: str,
    *,
    model: str | None = None,
    config: str | None = None,
    detections: str | None = None,
    classes: Iterable[str] | None = None,
    confidence: float | None = None,
    nms_iou: float | None = None,
    input_size: tuple[int, int] | None = None,
    det_scores: str = "reject",
    class_ids: str = "detector",
) -> FilteredDetector:
    """Build the detector registered as ``name`` followed by class, score and NMS filtering.

    Args:
        name: One of :data:`DETECTORS`.
        model: Weights path or model id (meaning depends on the backend).
        config: Network description file for OpenCV DNN models.
        detections: MOT det file for the ``file`` detector.
        classes: Class names or ids to keep.
        confidence: Score floor; the backend's default from :data:`DEFAULT_CONFIDENCE` if None.
        nms_iou: Extra per-class NMS at this IoU, for backends without their own.
        input_size: Network input ``(width, height)`` of ``ssd-mobilenet``; larger than the
            trained 300x300 finds smaller people at a higher cost.
        det_scores: What the ``file`` detector does with scores outside ``[0, 1]``:
            ``"reject"``, ``"minmax"`` or ``"clip"`` (see
            :class:`~keeptrack.detectors.file.FileDetector`).
        class_ids: ``"detector"`` keeps the backend's own class ids (SSD-MobileNet and DETR:
            COCO's 91-id scheme, person 1; Ultralytics COCO models: 0..79, person 0; ``file``:
            person 1; ``motion``: 0); ``"coco80"`` renumbers them by name to the 0-based COCO80
            indices (person 0), -1 for names outside COCO.

    Raises:
        DetectorError: Unknown name, missing files, unknown classes;
            :class:`MissingDependencyError` when the backend's package is not installed.
    """
    key = name.strip().lower()
    if key not in DEFAULT_CONFIDENCE:
        raise DetectorError(f"unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}")
    backend = _build(key, model, config, detections, input_size, det_scores)
    wanted = resolve_classes(classes, backend.class_names)
    threshold = DEFAULT_CONFIDENCE[key] if confidence is None else confidence
    if class_ids not in CLASS_IDS:
        raise DetectorError(f"--class-ids must be one of {', '.join(CLASS_IDS)}; got {class_ids!r}")
    try:
        renumber = coco80_ids(backend.class_names) if class_ids == "coco80" else None
    except ValueError as error:
        raise DetectorError(f"{error}; {name!r} does not") from None
    return FilteredDetector(backend, DetectionFilter(wanted, threshold, nms_iou), renumber)


__all__ = [
    "DETECTORS",
    "DetectionFilter",
    "Detector",
    "DetectorError",
    "MissingDependencyError",
    "create_detector",
]

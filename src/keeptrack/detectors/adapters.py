"""Adapters for detector libraries keeptrack does not depend on.

Each one imports its package only when built, runs the model and converts the result with the
matching ``supervision.Detections.from_*`` function, so every library's output arrives in one
shape. A missing package raises :class:`MissingDependencyError` with the pip command; nothing
here is needed for keeptrack itself.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import cv2
import numpy as np
import supervision as sv

from keeptrack.detectors.base import DetectorError, MissingDependencyError


def _require(module: str, detector: str, package: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(detector, package, f"pip install {package}") from None


def _with_class_names(detections: sv.Detections, names: dict[int, str] | None) -> sv.Detections:
    """Fill ``data["class_name"]`` from ``names`` when the converter did not."""
    if (
        "class_name" not in detections.data
        and names is not None
        and detections.class_id is not None
    ):
        detections.data["class_name"] = np.array(
            [names.get(int(c), str(c)) for c in detections.class_id], dtype=object
        )
    return detections


class UltralyticsDetector:
    """A YOLO model from the ``ultralytics`` package (``model`` is a weights path or name).

    Args:
        model: What ``ultralytics.YOLO`` accepts, e.g. ``yolov8n.pt``.
        confidence: Score floor passed to the model, so weak boxes are not even produced.
    """

    def __init__(self, model: str = "yolov8n.pt", confidence: float = 0.1) -> None:
        ultralytics = _require("ultralytics", "ultralytics", "ultralytics")
        self.model = ultralytics.YOLO(model)
        self.confidence = confidence
        self.class_names = dict(self.model.names)

    def detect(self, frame: np.ndarray) -> sv.Detections:
        result = self.model(frame, conf=self.confidence, verbose=False)[0]
        return _with_class_names(sv.Detections.from_ultralytics(result), self.class_names)


class TransformersDetector:
    """An object-detection model from Hugging Face ``transformers`` (DETR, RT-DETR, ...).

    Args:
        model: A model id or local folder for ``AutoModelForObjectDetection``.
        confidence: Score floor of the processor's post-processing.
    """

    def __init__(self, model: str = "facebook/detr-resnet-50", confidence: float = 0.1) -> None:
        transformers = _require("transformers", "transformers", "transformers")
        self.torch = _require("torch", "transformers", "torch")
        self.processor = transformers.AutoImageProcessor.from_pretrained(model)
        self.model = transformers.AutoModelForObjectDetection.from_pretrained(model).eval()
        self.confidence = confidence
        self.class_names = {int(k): v for k, v in self.model.config.id2label.items()}

    def detect(self, frame: np.ndarray) -> sv.Detections:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        inputs = self.processor(images=rgb, return_tensors="pt")
        with self.torch.no_grad():
            outputs = self.model(**inputs)
        results = self.processor.post_process_object_detection(
            outputs, threshold=self.confidence, target_sizes=[frame.shape[:2]]
        )[0]
        detections = sv.Detections.from_transformers(results, id2label=self.class_names)
        return _with_class_names(detections, self.class_names)


class InferenceDetector:
    """A model served by Roboflow's ``inference`` package (``model`` is its model id).

    Args:
        model: Model id, e.g. ``yolov8n-640``.
        confidence: Score floor passed to ``infer``.
    """

    class_names = None

    def __init__(self, model: str = "yolov8n-640", confidence: float = 0.1) -> None:
        inference = _require("inference", "inference", "inference")
        self.model = inference.get_model(model)
        self.confidence = confidence

    def detect(self, frame: np.ndarray) -> sv.Detections:
        result = self.model.infer(frame, confidence=self.confidence)[0]
        return sv.Detections.from_inference(result)


class RFDETRDetector:
    """Roboflow's RF-DETR (``rfdetr`` package), whose ``predict`` already returns Detections.

    Args:
        model: Class name in ``rfdetr`` (``RFDETRBase``, ``RFDETRNano``, ...).
        confidence: Score floor passed to ``predict``.
    """

    def __init__(self, model: str = "RFDETRBase", confidence: float = 0.1) -> None:
        rfdetr = _require("rfdetr", "rfdetr", "rfdetr")
        model_class: Any = getattr(rfdetr, model, None)
        if model_class is None:
            raise DetectorError(f"rfdetr has no model {model!r} (try RFDETRBase or RFDETRNano)")
        self.model = model_class()
        self.confidence = confidence
        try:
            from rfdetr.util.coco_classes import COCO_CLASSES
        except ImportError:
            COCO_CLASSES = None  # noqa: N806 - the library's own constant name
        self.class_names = dict(COCO_CLASSES) if COCO_CLASSES else None

    def detect(self, frame: np.ndarray) -> sv.Detections:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        detections = self.model.predict(rgb, threshold=self.confidence)
        return _with_class_names(detections, self.class_names)

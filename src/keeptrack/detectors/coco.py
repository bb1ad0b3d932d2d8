"""COCO category names under the two numberings detectors use.

TensorFlow and Caffe SSD models (and DETR) emit COCO's original 1-based 91-id scheme, with
gaps (12, 26, 29, ...): person is 1. YOLO-style models (Ultralytics, supervision's examples)
use the dense 0..79 indices: person is 0.
"""

from __future__ import annotations

from collections.abc import Mapping

_GAPS = {12, 26, 29, 30, 45, 66, 68, 69, 71, 83}
_NAMES = [
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat",
    "traffic light", "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog",
    "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella",
    "handbag", "tie", "suitcase", "frisbee", "skis", "snowboard", "sports ball", "kite",
    "baseball bat", "baseball glove", "skateboard", "surfboard", "tennis racket", "bottle",
    "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple", "sandwich",
    "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote",
    "keyboard", "cell phone", "microwave", "oven", "toaster", "sink", "refrigerator", "book",
    "clock", "vase", "scissors", "teddy bear", "hair drier", "toothbrush",
]  # fmt: skip

#: COCO category id (1..90) -> name.
COCO91: dict[int, str] = dict(zip([i for i in range(1, 91) if i not in _GAPS], _NAMES, strict=True))
#: Dense 0-based COCO index (0..79, YOLO-style) -> name.
COCO80: dict[int, str] = dict(enumerate(_NAMES))
#: Values of ``keeptrack track --class-ids``.
CLASS_IDS = ("detector", "coco80")


def coco80_ids(class_names: Mapping[int, str] | None) -> dict[int, int]:
    """Detector class id -> 0-based COCO80 index, matched by name; names outside COCO's 80
    categories map to -1.

    Raises:
        ValueError: When the detector does not name its classes (nothing to match on).
    """
    if class_names is None:
        raise ValueError("--class-ids coco80 needs a detector that names its classes")
    index = {name: i for i, name in COCO80.items()}
    return {int(k): index.get(str(v).lower(), -1) for k, v in class_names.items()}

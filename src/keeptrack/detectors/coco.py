"""COCO category names keyed by the 1-based ids TensorFlow and Caffe SSD models emit.

The ids have gaps (12, 26, 29, ...): they follow COCO's original 91-id scheme, not the dense
0..79 indices of YOLO-style models.
"""

from __future__ import annotations

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

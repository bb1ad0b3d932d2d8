"""From a frame and boxes to a normalised ``(N, 3, H, W)`` float32 batch for a ReID network.

Every backend sees the same preprocessing: boxes are clipped to the frame (a detector often
reports people half outside the image; the visible part is still a good descriptor), optional
instance masks blank the background so the embedding describes the object rather than what
stands behind it, each crop is resized to the model's input size, converted to the channel order
the model was trained on and normalised with its mean and standard deviation.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: ImageNet statistics on the [0, 1] scale (torchvision / timm default).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class CropSpec:
    """How a model wants its input.

    Attributes:
        input_size: ``(height, width)`` every crop is resized to.
        mean: Per-channel mean on the [0, 1] scale, in the model's channel order.
        std: Per-channel standard deviation on the [0, 1] scale.
        rgb: Whether the model expects RGB (``True``, torchvision / timm) or BGR channels.
    """

    input_size: tuple[int, ...] = (224, 224)
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    rgb: bool = True


def validate_image(frame: object, name: str = "frame") -> np.ndarray:
    """Check that ``frame`` is a ``uint8`` colour image ``(H, W, 3)``.

    Raises:
        ValueError: Naming ``name``, the expected layout and what came in.
    """
    if not isinstance(frame, np.ndarray):
        kind = type(frame).__name__
        raise ValueError(f"{name} must be a uint8 NumPy image (H, W, 3); got {kind}")
    if frame.dtype != np.uint8:
        raise ValueError(f"{name} must have dtype uint8 (0-255 pixels); got {frame.dtype}")
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(
            f"{name} must have shape (H, W, 3) with 3 colour channels; got shape {frame.shape}"
        )
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"{name} must not be empty; got shape {frame.shape}")
    return frame


def pixel_boxes(xyxy: np.ndarray, frame_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Integer crop windows clipped to the frame, and which of them contain any pixel.

    Corners are rounded outwards so a box always covers the pixels it touches.

    Args:
        xyxy: ``(N, 4)`` boxes in pixels.
        frame_shape: ``frame.shape``.

    Returns:
        ``(windows, valid)``: ``(N, 4)`` int64 ``[x1, y1, x2, y2]`` and a boolean mask of windows
        with positive area after clipping.
    """
    height, width = frame_shape[:2]
    xyxy = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    with np.errstate(invalid="ignore"):
        lo = np.floor(xyxy[:, :2])
        hi = np.ceil(xyxy[:, 2:])
    limits = np.array([width, height], dtype=np.float64)
    lo = np.clip(np.nan_to_num(lo, nan=0.0), 0, limits)
    hi = np.clip(np.nan_to_num(hi, nan=0.0), 0, limits)
    windows = np.concatenate([lo, hi], axis=1).astype(np.int64)
    valid = (windows[:, 2] > windows[:, 0]) & (windows[:, 3] > windows[:, 1])
    return windows, valid


def validate_boxes(xyxy: object, frame_shape: tuple[int, ...], name: str = "boxes") -> np.ndarray:
    """Check ``(N, 4)`` finite boxes that each overlap the frame; returns their crop windows.

    Raises:
        ValueError: For a wrong shape, NaN / inf values, or a box with no pixel inside the frame
            (it would give a zero-area crop, which must never reach a model).
    """
    boxes = np.asarray(xyxy, dtype=np.float64)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"{name} must be an (N, 4) array of [x1, y1, x2, y2]; got {boxes.shape}")
    if not np.isfinite(boxes).all():
        raise ValueError(f"{name} must hold finite numbers; got NaN or inf")
    windows, valid = pixel_boxes(boxes, frame_shape)
    if not valid.all():
        row = int(np.flatnonzero(~valid)[0])
        raise ValueError(
            f"{name} row {row} {boxes[row].tolist()} has no pixel inside the "
            f"{frame_shape[1]}x{frame_shape[0]} frame (zero-area crop)"
        )
    return windows


def validate_masks(masks: object, n: int, frame_shape: tuple[int, ...]) -> np.ndarray:
    """Check instance masks: one boolean ``(H, W)`` frame-sized mask per box."""
    array = np.asarray(masks)
    expected = (n, *frame_shape[:2])
    if array.shape != expected:
        raise ValueError(
            f"masks must be an (N, H, W) array with one frame-sized mask per box {expected}; "
            f"got shape {array.shape}"
        )
    return array.astype(bool, copy=False)


def crop_batch(
    frame: np.ndarray,
    windows: np.ndarray,
    spec: CropSpec,
    bgr: bool = True,
    masks: np.ndarray | None = None,
) -> np.ndarray:
    """Cut, mask, resize and normalise crops into one ``(N, 3, H, W)`` float32 batch.

    Args:
        frame: ``uint8`` image ``(H, W, 3)``.
        windows: ``(N, 4)`` integer windows with positive area (see :func:`validate_boxes`).
        spec: The model's input size, channel order and normalisation.
        bgr: Whether ``frame`` is BGR (OpenCV) rather than RGB.
        masks: Optional ``(N, H, W)`` boolean instance masks; pixels outside are set to black.
    """
    height, width = spec.input_size
    out = np.empty((len(windows), height, width, 3), dtype=np.uint8)
    for i, (x1, y1, x2, y2) in enumerate(windows):
        crop = frame[y1:y2, x1:x2]
        if masks is not None:
            crop = np.where(masks[i, y1:y2, x1:x2, None], crop, 0).astype(np.uint8)
        out[i] = cv2.resize(crop, (width, height), interpolation=cv2.INTER_LINEAR)
    if bgr == spec.rgb:
        out = out[..., ::-1]
    batch = out.astype(np.float32) / np.float32(255.0)
    batch -= np.asarray(spec.mean, dtype=np.float32)
    batch /= np.asarray(spec.std, dtype=np.float32)
    return np.ascontiguousarray(batch.transpose(0, 3, 1, 2))

"""Reading Ultralytics ``Boxes`` / ``OBB`` results (or any object shaped like them)."""

from __future__ import annotations

from typing import Any

import numpy as np


def read_results(results: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """``(conf, xywh or xywhr, cls, oriented)`` as float arrays from a Results-like object."""
    missing = [name for name in ("conf", "cls") if not hasattr(results, name)]
    oriented = hasattr(results, "xywhr")
    if not oriented and not hasattr(results, "xywh"):
        missing.append("xywh")
    if missing:
        raise ValueError(
            f"results must have conf, cls and xywh (or xywhr) like Ultralytics Boxes; "
            f"{type(results).__name__} has no {', '.join(missing)}"
        )
    name = "xywhr" if oriented else "xywh"
    boxes = as_array(getattr(results, name), f"results.{name}")
    width = 5 if oriented else 4
    if boxes.size == 0:
        boxes = boxes.reshape(0, width)  # an empty frame, whatever shape it came in
    if boxes.ndim != 2 or boxes.shape[1] != width:
        raise ValueError(f"results.{name} must have shape (N, {width}); got {boxes.shape}")
    conf = as_array(results.conf, "results.conf").reshape(-1)
    cls = as_array(results.cls, "results.cls").reshape(-1)
    if len(conf) != len(boxes) or len(cls) != len(boxes):
        raise ValueError(
            f"results.conf ({len(conf)}), results.cls ({len(cls)}) and the boxes "
            f"({len(boxes)}) must have one entry per detection"
        )
    return conf, boxes, cls, oriented


def as_array(value: Any, name: str) -> np.ndarray:
    """``value`` (NumPy, a list or a torch tensor) as a float array: ``float32`` and
    ``float64`` as they are (the compiled conversion reads either, and the scores' precision
    sets the thresholds), anything else numeric as ``float64``."""
    if not isinstance(value, np.ndarray):
        if hasattr(value, "cpu"):  # a torch tensor
            value = value.cpu().numpy()
        try:
            value = np.asarray(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{name} must be numeric; got {type(value).__name__}") from error
    if value.dtype == np.float32 or value.dtype == np.float64:
        return value
    if value.dtype.kind not in "biuf":
        raise ValueError(f"{name} must be numeric; got an array of {value.dtype}")
    return value.astype(np.float64)

"""Checks shared by every constructor that takes numeric settings (trackers, estimators)."""

from __future__ import annotations

import math

import numpy as np


def check_range(
    name: str, value: float, low: float | None = None, high: float | None = None
) -> float:
    """Validate one numeric constructor argument; the message names it and the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{name} must be a number; got {value!r}")
    if (
        not math.isfinite(value)
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        bounds = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise ValueError(f"{name} must be a finite number in {bounds}; got {value!r}")
    return value

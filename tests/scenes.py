"""Tiny synthetic scenes shared by tests."""

import numpy as np


def walking(frame: int) -> np.ndarray:
    """Two objects moving right and down and a class-1 object moving left; all confident."""
    return np.array(
        [
            [10 + 4 * frame, 50, 50 + 4 * frame, 150, 0.9, 0],
            [300, 20 + 3 * frame, 340, 120 + 3 * frame, 0.85, 0],
            [500 - 2 * frame, 300, 560 - 2 * frame, 420, 0.95, 1],
        ],
        dtype=float,
    )

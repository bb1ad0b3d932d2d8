"""Replaying camera motion computed earlier: warp files such as BoT-SORT's GMC ``gmc.txt``."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from keeptrack.motion.camera.base import IDENTITY


class PrecomputedWarps:
    """Replay warps computed earlier, one per :meth:`estimate` call, in frame order.

    Warp ``k`` (0-based) is applied at the ``k + 1``-th frame: it maps the previous frame's
    coordinates onto that frame's, so warp 0 is normally the identity. No pixels are needed
    (``needs_frame`` is ``False``): a tracker replays one warp per ``update``, with or without
    a frame, which is what running on a detections file with ``gmc.txt`` needs.

    Reads a ``.npy`` array ``(T, 2, 3)`` or a text file with one frame per line: either six
    numbers (the row-major warp) or a frame index followed by six numbers (BoT-SORT's GMC
    files, MOTChallenge ``<seq>/gmc.txt``). Frames past the end of the file get the identity.

    Args:
        source: Path to the file, or an array of warps ``(T, 2, 3)``.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: For a file or array that is not finite ``(T, 2, 3)`` warps.
    """

    #: Replays without pixels: called on every frame.
    needs_frame = False

    def __init__(self, source: str | os.PathLike | np.ndarray) -> None:
        warps = source if isinstance(source, np.ndarray) else read_warps(source)
        warps = np.asarray(warps, dtype=np.float64)
        if warps.ndim != 3 or warps.shape[1:] != (2, 3) or not np.isfinite(warps).all():
            raise ValueError(f"precomputed warps must be finite (T, 2, 3); got {warps.shape}")
        self.warps = warps
        self.reset()

    def reset(self) -> None:
        """Rewind to the first frame."""
        self._index = 0

    def state_dict(self) -> dict[str, Any]:
        """How many warps have been replayed."""
        return {"index": self._index}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue the replay where :meth:`state_dict` was taken."""
        self._index = int(state["index"])

    def estimate(
        self, frame: np.ndarray | None, boxes: np.ndarray, predicted: np.ndarray | None = None
    ) -> np.ndarray:
        """The next stored warp (``frame``, ``boxes`` and ``predicted`` are not needed)."""
        del frame, boxes, predicted
        return self._next()

    def estimate_checked(
        self,
        frame: np.ndarray | None,
        xyxy: np.ndarray,
        confidence: np.ndarray,
        predictions: Callable[[], np.ndarray] | None,
    ) -> np.ndarray:
        """The next stored warp; the tracker's inputs are not needed, and ``predictions`` is
        never called (see :class:`~keeptrack.motion.camera.base.CameraMotion`)."""
        del frame, xyxy, confidence, predictions
        return self._next()

    def _next(self) -> np.ndarray:
        index, self._index = self._index, self._index + 1
        return self.warps[index].copy() if index < len(self.warps) else IDENTITY.copy()


def read_warps(path: str | os.PathLike) -> np.ndarray:
    """Warps ``(T, 2, 3)`` from a ``.npy`` file or a text file of 6 or 7 numbers per line.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: For a text file with another number of columns.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"warp file not found: {path}")
    if path.suffix == ".npy":
        return np.load(path)
    rows = np.loadtxt(path, ndmin=2)
    if rows.shape[1] not in (6, 7):
        raise ValueError(f"{path}: expected 6 or 7 numbers per line, got {rows.shape[1]}")
    return rows[:, -6:].reshape(-1, 2, 3)


def save_warps(path: str | os.PathLike, warps: np.ndarray) -> None:
    """Write warps ``(T, 2, 3)`` as text, ``frame a11 a12 a13 a21 a22 a23`` per line."""
    warps = np.asarray(warps, dtype=np.float64).reshape(-1, 6)
    rows = np.column_stack([np.arange(len(warps)), warps])
    np.savetxt(path, rows, fmt=["%d"] + ["%.9g"] * 6)

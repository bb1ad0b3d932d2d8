"""Running a tracker over a file of detections, as benchmarks and ``keeptrack bench`` do."""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np

from keeptrack.detections import tracked_rows
from keeptrack.geometry import xyxy_to_tlwh


def track_detections(
    tracker, frames: Sequence[np.ndarray], embeddings: Sequence[np.ndarray] | None = None
) -> tuple[np.ndarray, float]:
    """Feed per-frame ``(N, 5|6)`` detection arrays to ``tracker``.

    Args:
        tracker: A keeptrack tracker.
        frames: Detections per frame.
        embeddings: Appearance features per frame, one row per detection, passed as
            ``update(..., embeddings=)`` (appearance trackers only).

    Returns:
        ``(rows, seconds)``: MOTChallenge result rows ``[frame, id, left, top, width, height,
        score]`` (frames numbered from 1) and the time spent inside ``tracker.update`` only.
    """
    results = []
    elapsed = 0.0
    for index, detections in enumerate(frames, start=1):
        start = time.perf_counter()
        if embeddings is None:
            out = tracker.update(detections)
        else:
            out = tracker.update(detections, embeddings=embeddings[index - 1])
        elapsed += time.perf_counter() - start
        out = tracked_rows(out)
        if len(out):
            results.append(
                np.column_stack(
                    [np.full(len(out), index), out[:, 4], xyxy_to_tlwh(out[:, :4]), out[:, 5]]
                )
            )
    rows = np.concatenate(results) if results else np.empty((0, 7))
    return rows, elapsed


def bytetrack_output_filter(rows: np.ndarray) -> np.ndarray:
    """Drop result boxes with ``w * h <= 100`` or ``w / h > 1.6``, as ByteTrack's MOT17
    evaluation does (tiny and lying-down boxes are almost always false positives)."""
    w, h = rows[:, 4], rows[:, 5]
    return rows[(w * h > 100) & (w <= 1.6 * h)]

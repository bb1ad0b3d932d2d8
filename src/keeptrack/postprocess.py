"""Offline clean-up of finished tracking results.

Online trackers cannot report an object during the frames in which it was occluded; once the
whole sequence is tracked, the gap between two sightings of the same id can be filled by linear
interpolation. ByteTrack and BoT-SORT apply this (gaps up to 20 frames) to their MOTChallenge
submissions; it is not available to a live stream, so keeptrack keeps it out of the trackers and
reports it separately in benchmarks.
"""

from __future__ import annotations

import numpy as np


def interpolate_tracks(rows: np.ndarray, max_gap: int = 20) -> np.ndarray:
    """Fill gaps of at most ``max_gap`` frames inside each track by linear interpolation.

    Args:
        rows: MOTChallenge result rows ``[frame, id, left, top, width, height, score, ...]``
            (at least 7 columns; extra columns are dropped).
        max_gap: Longest gap, in frames between two sightings, that is filled. A track missing
            for longer probably left the scene or was re-identified wrongly, so it is left alone.

    Returns:
        The input rows plus the interpolated ones (score: the lower of the two ends), sorted by
        frame then id.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.ndim != 2 or rows.shape[1] < 7:
        raise ValueError(f"rows must be an (N, >=7) MOTChallenge array; got shape {rows.shape}")
    rows = rows[:, :7]
    if max_gap < 2 or len(rows) == 0:
        return rows[np.lexsort((rows[:, 1], rows[:, 0]))]
    ordered = rows[np.lexsort((rows[:, 0], rows[:, 1]))]
    step = np.diff(ordered[:, 0])
    same_track = ordered[1:, 1] == ordered[:-1, 1]
    gaps = np.flatnonzero(same_track & (step > 1) & (step <= max_gap))
    filled = [ordered]
    for g in gaps:
        before, after = ordered[g], ordered[g + 1]
        frames = np.arange(before[0] + 1, after[0])
        weight = ((frames - before[0]) / (after[0] - before[0]))[:, None]
        boxes = before[2:6] * (1 - weight) + after[2:6] * weight
        n = len(frames)
        score = min(before[6], after[6])
        filled.append(np.column_stack([frames, np.full(n, before[1]), boxes, np.full(n, score)]))
    out = np.concatenate(filled)
    return out[np.lexsort((out[:, 1], out[:, 0]))]

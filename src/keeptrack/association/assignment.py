"""Minimum-cost assignment with a rejection threshold."""

from __future__ import annotations

import lap
import numpy as np

def linear_assignment(
    cost: np.ndarray, threshold: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the rectangular assignment problem, refusing pairs that cost more than ``threshold``.

    Uses ``lap.lapjv`` with ``cost_limit``, which is both faster than SciPy's Hungarian solver on
    tracker-sized matrices and gives the same thresholded result the ByteTrack reference uses:
    pairs above the limit are left unmatched instead of forcing a poor match elsewhere.

    Args:
        cost: ``(M, N)`` cost matrix (rows are tracks, columns detections). ``inf`` and NaN
            entries are treated as forbidden.
        threshold: Largest cost an accepted pair may have, or ``None`` for a complete
            assignment (SORT assigns first and rejects poor pairs afterwards).

    Returns:
        ``(matches, unmatched_rows, unmatched_cols)``: ``matches`` is ``(K, 2)`` of
        ``[row, col]``, sorted by row.
    """
    rows, cols = cost.shape
    if rows == 0 or cols == 0:
        return np.empty((0, 2), dtype=np.intp), np.arange(rows), np.arange(cols)
    limit = np.inf if threshold is None else threshold
    forbidden = (np.nanmax(np.abs(cost[np.isfinite(cost)]), initial=0.0) + 1.0) * 1e3
    finite = np.where(np.isfinite(cost), cost, forbidden)
    _, x, _ = lap.lapjv(finite, extend_cost=True, cost_limit=limit)
    matched_rows = np.flatnonzero(x >= 0)
    matches = np.stack([matched_rows, x[matched_rows]], axis=1).astype(np.intp)
    unmatched_rows = np.flatnonzero(x < 0)
    col_taken = np.zeros(cols, dtype=bool)
    col_taken[matches[:, 1]] = True
    return matches, unmatched_rows, np.flatnonzero(~col_taken)

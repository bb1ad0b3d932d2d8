"""Minimum-cost assignment with a rejection threshold."""

from __future__ import annotations

import lap
import numpy as np


def linear_assignment(
    cost: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the rectangular assignment problem, refusing pairs that cost more than ``threshold``.

    Semantics are those of ``lap.lapjv(cost, extend_cost=True, cost_limit=threshold)``, which the
    ByteTrack reference uses: a pair is accepted only if pairing beats leaving both sides
    unmatched. Most tracking frames are unambiguous -- every track has at most one acceptable
    detection and vice versa -- and then the optimum is simply those pairs, found without
    calling a solver; only genuinely contested frames go to LAPJV.
    ``lap`` measured about 3x faster than SciPy's ``linear_sum_assignment`` on the augmented
    problem that a cost limit needs.

    Args:
        cost: ``(M, N)`` cost matrix (rows are tracks, columns detections). ``inf`` and NaN
            entries are forbidden pairs.
        threshold: Largest cost an accepted pair may have.

    Returns:
        ``(matches, unmatched_rows, unmatched_cols)``: ``matches`` is ``(K, 2)`` of
        ``[row, col]``, sorted by row.
    """
    rows, cols = cost.shape
    if rows == 0 or cols == 0:
        return np.empty((0, 2), dtype=np.intp), np.arange(rows), np.arange(cols)
    acceptable = cost <= threshold
    per_row = acceptable.sum(axis=1)
    if per_row.max() <= 1 and acceptable.sum(axis=0).max() <= 1:
        matched_rows = per_row.nonzero()[0]
        matches = np.column_stack([matched_rows, acceptable[matched_rows].argmax(axis=1)])
        x = np.full(rows, -1)
        x[matched_rows] = matches[:, 1]
    else:
        # Rows and columns with no acceptable partner stay unmatched whatever the solver does;
        # dropping them first shrinks the LAPJV problem, often by half in crowded frames.
        live_rows = np.flatnonzero(acceptable.any(axis=1))
        live_cols = np.flatnonzero(acceptable.any(axis=0))
        sub = cost[np.ix_(live_rows, live_cols)]
        sub = np.where(np.isfinite(sub), sub, threshold + 1e6)
        _, sub_x, _ = lap.lapjv(sub, extend_cost=True, cost_limit=threshold)
        x = np.full(rows, -1)
        picked = sub_x >= 0
        x[live_rows[picked]] = live_cols[sub_x[picked]]
        matched_rows = np.flatnonzero(x >= 0)
        matches = np.stack([matched_rows, x[matched_rows]], axis=1)
    col_taken = np.zeros(cols, dtype=bool)
    col_taken[matches[:, 1]] = True
    return matches.astype(np.intp), np.flatnonzero(x < 0), np.flatnonzero(~col_taken)

"""Minimum-cost assignment with a rejection threshold, compiled with Numba.

The solver is compiled so that the trackers' compiled frame steps (:mod:`keeptrack.stages`) can
call it from inside a step; :func:`linear_assignment` is the same solver behind a NumPy
interface.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def min_cost_matching(cost: np.ndarray) -> np.ndarray:
    """Exact minimum-cost matching of ``min(R, C)`` pairs in a finite ``(R, C)`` matrix.

    Returns:
        ``col_of_row``: the column assigned to each row, ``-1`` for the rows left over when
        there are more rows than columns (the solver runs on the transpose then).
    """
    rows, cols = cost.shape
    if rows <= cols:
        return _match_every_row(cost)
    row_of_col = _match_every_row(cost.T.copy())
    col_of_row = np.full(rows, -1, np.int64)
    for j in range(cols):
        col_of_row[row_of_col[j]] = j
    return col_of_row


@njit(cache=True)
def _match_every_row(cost: np.ndarray) -> np.ndarray:
    """Exact minimum-cost matching of every row of a finite ``(R, C)`` matrix, ``R <= C``.

    Shortest augmenting paths with dual variables (Jonker & Volgenant 1987; the rectangular
    variant of Crouse 2016 that SciPy's ``linear_sum_assignment`` uses): each row in turn is
    added by a Dijkstra search over reduced costs, then the matching is flipped along the path
    found.

    Returns:
        ``col_of_row``: the column assigned to each row.
    """
    n_rows, n_cols = cost.shape
    u = np.zeros(n_rows)
    v = np.zeros(n_cols)
    col_of_row = np.full(n_rows, -1, np.int64)
    row_of_col = np.full(n_cols, -1, np.int64)
    shortest = np.empty(n_cols)
    path = np.empty(n_cols, np.int64)
    remaining = np.empty(n_cols, np.int64)
    row_seen = np.empty(n_rows, np.bool_)
    col_seen = np.empty(n_cols, np.bool_)
    for start in range(n_rows):
        shortest[:] = np.inf
        row_seen[:] = False
        col_seen[:] = False
        for j in range(n_cols):
            remaining[j] = n_cols - 1 - j
        left = n_cols
        reach = 0.0
        i = start
        sink = -1
        while sink < 0:
            row_seen[i] = True
            best = -1
            lowest = np.inf
            for k in range(left):
                j = remaining[k]
                reduced = reach + cost[i, j] - u[i] - v[j]
                if reduced < shortest[j]:
                    path[j] = i
                    shortest[j] = reduced
                # Prefer a free column on ties: the search ends sooner.
                if shortest[j] < lowest or (shortest[j] == lowest and row_of_col[j] < 0):
                    lowest = shortest[j]
                    best = k
            reach = lowest
            j = remaining[best]
            col_seen[j] = True
            left -= 1
            remaining[best] = remaining[left]
            if row_of_col[j] < 0:
                sink = j
            else:
                i = row_of_col[j]
        u[start] += reach
        for r in range(n_rows):
            if row_seen[r] and r != start:
                u[r] += reach - shortest[col_of_row[r]]
        for c in range(n_cols):
            if col_seen[c]:
                v[c] -= reach - shortest[c]
        j = sink
        while True:
            i = path[j]
            row_of_col[j] = i
            previous = col_of_row[i]
            col_of_row[i] = j
            j = previous
            if i == start:
                break
    return col_of_row


@njit(cache=True)
def assign(cost: np.ndarray, threshold: float) -> np.ndarray:
    """Column matched to each row of ``cost`` (``-1`` for none), pairs costing more refused.

    Leaving a row or a column unmatched costs ``threshold / 2``, so a pair is taken only when
    it beats leaving both its row and its column unmatched: the semantics of
    ``lap.lapjv(cost, extend_cost=True, cost_limit=threshold)`` that the ByteTrack
    reference uses. Most tracking frames are unambiguous -- every row has at most one
    acceptable column and vice versa -- and then those pairs are the optimum, taken without a
    search; otherwise rows and columns with no acceptable partner are dropped before solving.
    ``inf`` and NaN costs are never accepted.
    """
    rows, cols = cost.shape
    col_of_row = np.full(rows, -1, np.int64)
    if rows == 0 or cols == 0:
        return col_of_row
    row_count = np.zeros(rows, np.int64)
    col_count = np.zeros(cols, np.int64)
    for i in range(rows):
        for j in range(cols):
            if cost[i, j] <= threshold:
                row_count[i] += 1
                col_count[j] += 1
    if row_count.max() <= 1 and col_count.max() <= 1:
        for i in range(rows):
            if row_count[i]:
                for j in range(cols):
                    if cost[i, j] <= threshold:
                        col_of_row[i] = j
        return col_of_row
    # Leaving a row and a column unmatched costs ``threshold``, so a pair is worth
    # ``cost - threshold`` against that, and only acceptable pairs are worth anything: the
    # optimum is a full matching of ``min(cost - threshold, 0)``, which needs no extended
    # (R + C) x (R + C) matrix. Rows and columns with no acceptable partner are dropped first.
    live_rows = np.flatnonzero(row_count)
    live_cols = np.flatnonzero(col_count)
    net_cost = np.zeros((len(live_rows), len(live_cols)))
    for a in range(len(live_rows)):
        for b in range(len(live_cols)):
            value = cost[live_rows[a], live_cols[b]]
            if value <= threshold:
                net_cost[a, b] = value - threshold
    solution = min_cost_matching(net_cost)
    for a in range(len(live_rows)):
        b = solution[a]
        if b >= 0 and cost[live_rows[a], live_cols[b]] <= threshold:
            col_of_row[live_rows[a]] = live_cols[b]
    return col_of_row


def linear_assignment(
    cost: np.ndarray, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Solve the rectangular assignment problem, refusing pairs that cost more than ``threshold``.

    See :func:`assign` for the semantics (those of ``lap.lapjv`` with a cost limit, as in the
    ByteTrack reference).

    Args:
        cost: ``(M, N)`` cost matrix (rows are tracks, columns detections). ``inf`` and NaN
            entries are forbidden pairs.
        threshold: Largest cost an accepted pair may have.

    Returns:
        ``(matches, unmatched_rows, unmatched_cols)``: ``matches`` is ``(K, 2)`` of
        ``[row, col]``, sorted by row.
    """
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    col_of_row = assign(cost, float(threshold))
    matched_rows = np.flatnonzero(col_of_row >= 0)
    matches = np.stack([matched_rows, col_of_row[matched_rows]], axis=1).astype(np.intp)
    col_taken = np.zeros(cost.shape[1], dtype=bool)
    col_taken[matches[:, 1]] = True
    return matches, np.flatnonzero(col_of_row < 0), np.flatnonzero(~col_taken)

"""Minimum-cost assignment with a rejection threshold, compiled with Numba.

The solver is compiled so that the trackers' compiled frame steps (:mod:`keeptrack.stages`) can
call it from inside a step; :func:`linear_assignment` is the same solver behind a NumPy
interface.
"""

from __future__ import annotations

import heapq

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
    scratch = solver_scratch(max(rows, cols), 0)  # the cost comes whole: no net costs to build
    if rows <= cols:
        return _match_every_row(cost, scratch).copy()
    row_of_col = _match_every_row(cost.T.copy(), scratch)
    col_of_row = np.full(rows, -1, np.int64)
    for j in range(cols):
        col_of_row[row_of_col[j]] = j
    return col_of_row


@njit(cache=True)
def solver_scratch(size: int, net_size: int):
    """Working arrays of :func:`_match_every_row` for problems of up to ``size`` rows and
    columns: ``(u, v, col_of_row, row_of_col, shortest, path, remaining, row_seen, col_seen,
    net_cost)``, the last with room for ``net_size`` net costs (:func:`_solve_group`).
    :func:`assign` allocates them once for all its groups: a frame's groups are small, and
    allocating for each cost more than solving it."""
    return (
        np.empty(size),
        np.empty(size),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
        np.empty(size),
        np.empty(size, np.int64),
        np.empty(size, np.int64),
        np.empty(size, np.bool_),
        np.empty(size, np.bool_),
        np.empty(net_size),
    )


@njit(cache=True)
def _augment(path, sink, start, col_of_row, row_of_col) -> None:
    """Flip the matching along the shortest path that ends at free column ``sink``, so row
    ``start`` is matched (shared by the dense and the sparse solver)."""
    j = sink
    while True:
        i = path[j]
        row_of_col[j] = i
        previous = col_of_row[i]
        col_of_row[i] = j
        j = previous
        if i == start:
            break


@njit(cache=True)
def _match_every_row(cost: np.ndarray, scratch: tuple) -> np.ndarray:
    """Exact minimum-cost matching of every row of a finite ``(R, C)`` matrix, ``R <= C``.

    Shortest augmenting paths with dual variables (Jonker & Volgenant 1987; the rectangular
    variant of Crouse 2016 that SciPy's ``linear_sum_assignment`` uses): each row in turn is
    added by a Dijkstra search over reduced costs, then the matching is flipped along the path
    found.

    Returns:
        ``col_of_row``: the column assigned to each row, a view of ``scratch``.
    """
    n_rows, n_cols = cost.shape
    u, v, col_of_row, row_of_col = (
        scratch[0][:n_rows],
        scratch[1][:n_cols],
        scratch[2][:n_rows],
        scratch[3][:n_cols],
    )
    shortest, path, remaining = scratch[4][:n_cols], scratch[5][:n_cols], scratch[6][:n_cols]
    row_seen, col_seen = scratch[7][:n_rows], scratch[8][:n_cols]
    u[:] = 0.0
    v[:] = 0.0
    col_of_row[:] = -1
    row_of_col[:] = -1
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
        _augment(path, sink, start, col_of_row, row_of_col)
    return col_of_row


@njit(cache=True)
def assign(cost: np.ndarray, threshold: float) -> np.ndarray:
    """Column matched to each row of ``cost`` (``-1`` for none), pairs costing more refused.

    Leaving a row or a column unmatched costs ``threshold / 2``, so a pair is taken only when
    it beats leaving both its row and its column unmatched: the semantics of
    ``lap.lapjv(cost, extend_cost=True, cost_limit=threshold)`` that the ByteTrack
    reference uses. Most pairs in a tracking frame are unambiguous -- a row and a column
    acceptable only to each other -- and those are the optimum, taken without a search; of the
    rest, rows and columns with no acceptable partner are dropped before solving.
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
    # A row and a column acceptable only to each other are matched in the optimum: take such
    # isolated pairs at once and leave them out of the search below.
    for i in range(rows):
        if row_count[i] == 1:
            j = 0
            while not cost[i, j] <= threshold:  # NaN is never acceptable
                j += 1
            if col_count[j] == 1:
                col_of_row[i] = j
                row_count[i] = col_count[j] = 0
    if row_count.max() == 0:
        return col_of_row
    # Leaving a row and a column unmatched costs ``threshold``, so a pair is worth
    # ``cost - threshold`` against that, and only acceptable pairs are worth anything: the
    # optimum is a full matching of ``min(cost - threshold, 0)``, which needs no extended
    # (R + C) x (R + C) matrix. Rows and columns with no acceptable partner are dropped, and
    # the rest split into groups linked by acceptable pairs: no pair between two groups is
    # worth anything, so each group is solved alone. In a crowd of thousands that turns one
    # huge solve into many tiny ones.
    first, members = _linked_groups(cost, threshold, row_count, col_count)
    # Members ascend, so each group's rows come first: ``split`` rows, then its columns.
    split = np.empty(len(first) - 1, np.int64)
    largest = 0  # the most rows or columns of a group solved on the dense matrix
    for group in range(len(first) - 1):
        nodes = members[first[group] : first[group + 1]]
        split[group] = np.searchsorted(nodes, rows)
        if _dense(split[group], len(nodes) - split[group]):
            largest = max(largest, split[group], len(nodes) - split[group])
    scratch = solver_scratch(largest, largest * largest)
    for group in range(len(first) - 1):
        nodes = members[first[group] : first[group + 1]]
        group_rows, group_cols = nodes[: split[group]], nodes[split[group] :] - rows
        _solve_group(cost, threshold, group_rows, group_cols, col_of_row, scratch)
    return col_of_row


@njit(cache=True)
def _dense(n_rows: int, n_cols: int) -> bool:
    """Whether a group is solved on its dense net-cost matrix (every group of ordinary
    tracking data) rather than on its acceptable pairs only (:data:`SPARSE_SOLVE_ABOVE`)."""
    return n_rows * n_cols <= SPARSE_SOLVE_ABOVE


#: Groups with more candidate pairs than this (a connected crowd of hundreds) are solved on
#: their acceptable pairs only; smaller ones, every group of ordinary tracking data, on the
#: dense matrix as before.
SPARSE_SOLVE_ABOVE = 40_000


@njit(cache=True)
def _root(parent: np.ndarray, node: int) -> int:
    while parent[node] != node:
        parent[node] = parent[parent[node]]  # path halving
        node = parent[node]
    return node


@njit(cache=True)
def _linked_groups(
    cost: np.ndarray, threshold: float, row_count: np.ndarray, col_count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Connected groups of rows and columns (columns numbered after the rows) linked by
    acceptable pairs; rows and columns without one are left out.

    Returns:
        ``(first, members)``: group ``g`` is ``members[first[g]:first[g + 1]]``, ascending, and
        groups are ordered by their smallest member.
    """
    rows, cols = cost.shape
    parent = np.arange(rows + cols)
    for i in range(rows):
        if row_count[i] == 0:
            continue
        for j in range(cols):
            if cost[i, j] <= threshold:
                a, b = _root(parent, i), _root(parent, rows + j)
                if a != b:
                    parent[max(a, b)] = min(a, b)  # the root is the group's smallest node
    live = np.empty(rows + cols, np.int64)  # rows and columns with a partner, ascending
    n_live = 0
    for node in range(rows + cols):
        if (row_count[node] if node < rows else col_count[node - rows]) > 0:
            live[n_live] = node
            n_live += 1
    # Counting sort of the live nodes by root: stable, so members stay ascending.
    group_start = np.zeros(rows + cols + 1, np.int64)
    roots = np.empty(n_live, np.int64)
    for k in range(n_live):
        roots[k] = _root(parent, live[k])
        group_start[roots[k] + 1] += 1
    starts = np.empty(n_live + 1, np.int64)
    count = 0
    for node in range(rows + cols):
        if group_start[node + 1] > 0:
            starts[count] = group_start[node]
            count += 1
        group_start[node + 1] += group_start[node]
    starts[count] = n_live
    members = np.empty(n_live, np.int64)
    for k in range(n_live):
        members[group_start[roots[k]]] = live[k]
        group_start[roots[k]] += 1
    return starts[: count + 1], members


@njit(cache=True)
def _solve_group(
    cost: np.ndarray,
    threshold: float,
    group_rows: np.ndarray,
    group_cols: np.ndarray,
    col_of_row: np.ndarray,
    scratch: tuple,
) -> None:
    """Optimal matching of one linked group (see :func:`assign`), written into ``col_of_row``."""
    n_rows, n_cols = len(group_rows), len(group_cols)
    if n_rows == 1 and n_cols == 1:  # one acceptable pair: take it
        col_of_row[group_rows[0]] = group_cols[0]
        return
    if not _dense(n_rows, n_cols):
        _solve_group_sparse(cost, threshold, group_rows, group_cols, col_of_row)
        return
    # Net costs, laid out with the shorter side as rows: the solver matches every row.
    transposed = n_rows > n_cols
    shape = (n_cols, n_rows) if transposed else (n_rows, n_cols)
    net_cost = scratch[9][: n_rows * n_cols].reshape(shape)
    for a in range(n_rows):
        for b in range(n_cols):
            value = cost[group_rows[a], group_cols[b]]
            net = value - threshold if value <= threshold else 0.0
            if transposed:
                net_cost[b, a] = net
            else:
                net_cost[a, b] = net
    solution = _match_every_row(net_cost, scratch)
    for k in range(len(solution)):
        a, b = (solution[k], k) if transposed else (k, solution[k])
        if cost[group_rows[a], group_cols[b]] <= threshold:
            col_of_row[group_rows[a]] = group_cols[b]


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


@njit(cache=True)
def _solve_group_sparse(
    cost: np.ndarray,
    threshold: float,
    group_rows: np.ndarray,
    group_cols: np.ndarray,
    col_of_row: np.ndarray,
) -> None:
    """:func:`_solve_group` on the acceptable pairs alone: the same optimum, in time that
    grows with the number of acceptable pairs instead of rows x columns.

    Each row gets a private "unmatched" column of net cost 0, so every row is assigned and the
    problem is a full assignment on a sparse graph; rows are added one by one by a Dijkstra
    search over reduced costs (a heap instead of :func:`_match_every_row`'s scan of every
    column), with the same dual updates and augmentation.
    """
    n_rows, n_real = len(group_rows), len(group_cols)
    n_cols = n_real + n_rows  # real columns, then one "unmatched" column per row
    # Adjacency lists (CSR) of acceptable pairs, net costs ``cost - threshold`` (<= 0).
    degree = np.zeros(n_rows + 1, np.int64)
    for a in range(n_rows):
        for b in range(n_real):
            if cost[group_rows[a], group_cols[b]] <= threshold:
                degree[a + 1] += 1
    start_of = np.cumsum(degree)
    edge_col = np.empty(start_of[-1] + n_rows, np.int64)
    edge_cost = np.empty(start_of[-1] + n_rows)
    fill = start_of[:-1] + np.arange(n_rows)  # room for each row's own "unmatched" edge
    first = fill.copy()
    for a in range(n_rows):
        for b in range(n_real):
            value = cost[group_rows[a], group_cols[b]]
            if value <= threshold:
                edge_col[fill[a]] = b
                edge_cost[fill[a]] = value - threshold
                fill[a] += 1
        edge_col[fill[a]] = n_real + a
        edge_cost[fill[a]] = 0.0
        fill[a] += 1
    u = np.zeros(n_rows)
    v = np.zeros(n_cols)
    col_of = np.full(n_rows, -1, np.int64)
    row_of = np.full(n_cols, -1, np.int64)
    shortest = np.full(n_cols, np.inf)
    path = np.full(n_cols, -1, np.int64)
    col_done = np.zeros(n_cols, np.bool_)
    touched = np.empty(n_cols, np.int64)
    seen_rows = np.empty(n_rows, np.int64)
    for start in range(n_rows):
        heap = [(0.0, np.int64(0))]
        heap.pop()
        n_touched = 0
        n_seen = 0
        reach = 0.0
        i = start
        sink = -1
        while sink < 0:
            seen_rows[n_seen] = i
            n_seen += 1
            for e in range(first[i], fill[i]):
                j = edge_col[e]
                if col_done[j]:
                    continue
                reduced = reach + edge_cost[e] - u[i] - v[j]
                if reduced < shortest[j]:
                    if shortest[j] == np.inf:
                        touched[n_touched] = j
                        n_touched += 1
                    shortest[j] = reduced
                    path[j] = i
                    heapq.heappush(heap, (reduced, j))
            while True:  # the closest column not yet settled (stale heap entries skipped)
                reach, j = heapq.heappop(heap)
                if not col_done[j] and reach == shortest[j]:
                    break
            col_done[j] = True
            if row_of[j] < 0:
                sink = j
            else:
                i = row_of[j]
        u[start] += reach
        for k in range(1, n_seen):
            r = seen_rows[k]
            u[r] += reach - shortest[col_of[r]]
        for k in range(n_touched):
            c = touched[k]
            if col_done[c]:
                v[c] -= reach - shortest[c]
        _augment(path, sink, start, col_of, row_of)
        for k in range(n_touched):  # reset only what this search touched
            c = touched[k]
            shortest[c] = np.inf
            col_done[c] = False
    for a in range(n_rows):
        if col_of[a] < n_real:
            col_of_row[group_rows[a]] = group_cols[col_of[a]]

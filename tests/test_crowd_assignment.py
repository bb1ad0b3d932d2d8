"""Crowds: the assignment splits into linked groups, and a large group is solved on its
acceptable pairs alone, with the same optimum as the dense solver (issue 14)."""

import lap
import numpy as np
import pytest

from keeptrack.association import assignment
from keeptrack.association.assignment import SPARSE_SOLVE_ABOVE, assign, min_cost_matching


def dense_reference(cost: np.ndarray, threshold: float) -> np.ndarray:
    """The solver before groups: one full matching of ``min(cost - threshold, 0)``."""
    net = np.where(cost <= threshold, cost - threshold, 0.0)
    solution = min_cost_matching(net)
    rows = np.arange(len(cost))
    ok = (solution >= 0) & (cost[rows, np.maximum(solution, 0)] <= threshold)
    return np.where(ok, solution, -1)


def crowd_cost(n: int, spacing: float, seed: int) -> np.ndarray:
    """``1 - IoU`` between a grid of ``n`` boxes and the same grid moved by noise."""
    side = int(np.ceil(np.sqrt(n)))
    k = np.arange(n)
    base = np.column_stack([(k % side) * 20.0 * spacing, (k // side) * 40.0 * spacing])
    moved = base + np.random.default_rng(seed).normal(0, 2.0, base.shape)
    a = np.column_stack([base, base + [20.0, 40.0]])
    b = np.column_stack([moved, moved + [20.0, 40.0]])
    lo, hi = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    return 1.0 - inter / (2 * 800.0 - inter)


@pytest.mark.parametrize("spacing", [0.5, 1.5])
def test_crowd_matches_the_dense_solver(spacing):
    cost = crowd_cost(900, spacing, seed=1)
    acceptable = cost <= 0.8
    assert acceptable.sum(axis=1).max() >= (4 if spacing < 1 else 1)
    if spacing < 1:  # one linked group too large for the dense path
        assert acceptable.size > SPARSE_SOLVE_ABOVE
    np.testing.assert_array_equal(assign(cost, 0.8), dense_reference(cost, 0.8))


def test_sparse_group_solver_is_optimal_on_random_groups():
    rng = np.random.default_rng(0)
    for _ in range(200):
        rows, cols = rng.integers(1, 30, 2)
        cost = rng.uniform(0, 1, (rows, cols))
        cost[rng.uniform(size=cost.shape) < rng.uniform(0.2, 0.95)] = np.inf
        threshold = float(rng.uniform(0.2, 0.9))
        got = np.full(rows, -1, np.int64)
        assignment._solve_group_sparse(cost, threshold, np.arange(rows), np.arange(cols), got)
        np.testing.assert_array_equal(got, dense_reference(cost, threshold))
        finite = np.where(np.isfinite(cost), cost, 1e5)
        _, expected, _ = lap.lapjv(finite, extend_cost=True, cost_limit=threshold)
        np.testing.assert_array_equal(assign(cost, threshold), expected)

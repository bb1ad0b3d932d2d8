import itertools

import lap
import numpy as np
import pytest

from keeptrack.association import fuse_score, iou_distance, linear_assignment


def reference(cost, threshold):
    _, x, _ = lap.lapjv(cost, extend_cost=True, cost_limit=threshold)
    return {(i, int(j)) for i, j in enumerate(x) if j >= 0}


@pytest.mark.parametrize("seed", range(40))
def test_matches_lapjv_with_cost_limit(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 9, size=2)
    cost = rng.uniform(0, 1, size=(m, n))
    if seed % 2:  # sparse, mostly unambiguous matrices as in real tracking
        cost[rng.uniform(size=cost.shape) < 0.7] = 1.0
    matches, rows, cols = linear_assignment(cost, 0.8)
    assert {tuple(p) for p in matches.tolist()} == reference(cost, 0.8)
    assert set(rows) == set(range(m)) - {int(i) for i in matches[:, 0]}
    assert set(cols) == set(range(n)) - {int(j) for j in matches[:, 1]}


def test_contested_detection_goes_to_cheaper_total():
    cost = np.array([[0.1, 0.85], [0.85, 1.0]])
    matches, rows, cols = linear_assignment(cost, 0.9)
    # pairing both (1.7) loses to one good pair plus two unmatched sides (0.1 + 2 * 0.45)
    assert matches.tolist() == [[0, 0]]
    assert rows.tolist() == [1] and cols.tolist() == [1]


def test_optimal_against_brute_force_when_everything_is_acceptable():
    rng = np.random.default_rng(1)
    cost = rng.uniform(0, 1, size=(4, 4))
    best = min(itertools.permutations(range(4)), key=lambda p: sum(cost[i, p[i]] for i in range(4)))
    matches, _, _ = linear_assignment(cost, 10.0)
    assert [int(j) for _, j in matches] == list(best)


def test_empty_and_forbidden():
    matches, rows, cols = linear_assignment(np.empty((0, 3)), 0.5)
    assert matches.shape == (0, 2) and rows.size == 0 and cols.tolist() == [0, 1, 2]
    cost = np.array([[np.inf, 0.2], [np.nan, np.inf]])
    matches, rows, cols = linear_assignment(cost, 0.5)
    assert matches.tolist() == [[0, 1]] and rows.tolist() == [1] and cols.tolist() == [0]


def test_iou_distance_and_fuse_score():
    tracks = np.array([[0.0, 0.0, 10.0, 10.0]])
    dets = np.array([[0.0, 0.0, 10.0, 10.0], [5.0, 0.0, 15.0, 10.0]])
    cost = iou_distance(tracks, dets)
    np.testing.assert_allclose(cost, [[0.0, 1 - 50 / 150]])
    fused = fuse_score(cost, np.array([0.5, 1.0]))
    np.testing.assert_allclose(fused, [[0.5, 1 - 50 / 150]])


@pytest.mark.parametrize("seed", range(10))
def test_contested_blocks_reach_the_lapjv_optimum(seed):
    """Crowded frames: large matrices with many acceptable pairs and forbidden entries."""
    rng = np.random.default_rng(100 + seed)
    m, n = rng.integers(10, 60, size=2)
    cost = rng.uniform(0, 1, size=(m, n))
    cost[rng.uniform(size=cost.shape) < 0.5] = np.inf
    matches, _, _ = linear_assignment(cost, 0.8)

    def objective(pairs):
        return sum(cost[i, j] for i, j in pairs) + 0.4 * (m + n - 2 * len(pairs))

    expected = reference(np.where(np.isfinite(cost), cost, 1e6), 0.8)
    assert objective(matches.tolist()) == pytest.approx(objective(expected), abs=1e-9)
    assert len(set(matches[:, 1].tolist())) == len(matches)


def test_isolated_pairs_beside_a_contested_block_and_nan():
    """Pairs a row and a column accept only from each other are taken as they are, next to a
    block that needs the search; NaN beside an isolated pair is never taken."""
    nan = np.nan
    cost = np.array(
        [
            [0.3, nan, 1.0, 1.0, 1.0],  # isolated with column 0
            [1.0, 1.0, 0.1, 0.2, 1.0],  # contested block: rows 1-2 x columns 2-3
            [1.0, 1.0, 0.15, 0.7, 1.0],
            [nan, 1.0, 1.0, 1.0, 0.5],  # isolated with column 4
        ]
    )
    matches, rows, cols = linear_assignment(cost, 0.8)
    assert {tuple(p) for p in matches.tolist()} == reference(np.nan_to_num(cost, nan=1e6), 0.8)
    assert matches.tolist() == [[0, 0], [1, 3], [2, 2], [3, 4]]
    assert rows.size == 0 and cols.tolist() == [1]

"""Small hand-built and random sequences: the dataset rules and edge cases, each against
TrackEval where it can be run, so a difference shows up on a case small enough to read."""

from __future__ import annotations

import numpy as np
import pytest

from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.io.mot import MOTFormatError


def gt_row(frame, track_id, box, flag=1, cls=1, vis=1.0):
    return [frame, track_id, *box, flag, cls, vis]


def result_row(frame, track_id, box):
    return [frame, track_id, *box, 1.0, -1, -1, -1]


def score(gt, results, length, benchmark="mot17"):
    out = evaluate_mot_sequences(
        {"s": np.array(gt, float)}, {"s": np.array(results, float)}, {"s": length}, benchmark
    )
    return out["s"]


BOX_A = (10, 10, 50, 100)
BOX_B = (200, 10, 50, 100)


def test_perfect_tracking_scores_one():
    gt = [gt_row(t, 1, BOX_A) for t in (1, 2, 3)] + [gt_row(t, 2, BOX_B) for t in (1, 2, 3)]
    results = [result_row(r[0], r[1] + 10, r[2:6]) for r in gt]
    m = score(gt, results, 3)
    for key in ("HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDF1"):
        assert m[key] == pytest.approx(1.0), key
    assert (m["IDSW"], m["FP"], m["FN"], m["MT"], m["GT_IDs"], m["IDs"]) == (0, 0, 0, 2, 2, 2)


def test_tracker_box_on_distractor_is_removed_but_counted_in_plain_mode():
    gt = [gt_row(1, 1, BOX_A), gt_row(1, 2, BOX_B, cls=7)]  # class 7: static person
    results = [result_row(1, 1, BOX_A), result_row(1, 2, BOX_B)]
    mot17 = score(gt, results, 1)
    assert (mot17["FP"], mot17["Dets"], mot17["GT_Dets"]) == (0, 1, 1)
    plain = score(gt, results, 1, "plain")  # no classes: the static person is a target
    assert (plain["FP"], plain["Dets"], plain["GT_Dets"]) == (0, 2, 2)


def test_class_6_is_a_distractor_only_in_mot20():
    gt = [gt_row(1, 1, BOX_A), gt_row(1, 2, BOX_B, cls=6)]  # class 6: non-motorised vehicle
    results = [result_row(1, 1, BOX_A), result_row(1, 2, BOX_B)]
    assert score(gt, results, 1, "mot17")["FP"] == 1
    assert score(gt, results, 1, "mot20")["FP"] == 0


def test_zero_marked_gt_is_ignored():
    gt = [gt_row(1, 1, BOX_A), gt_row(1, 2, BOX_B, flag=0)]
    m = score(gt, [result_row(1, 1, BOX_A)], 1)
    assert (m["GT_Dets"], m["FN"], m["MOTA"]) == (1, 0, 1.0)


def test_plain_mode_accepts_gt_without_flag_or_class():
    gt = [[1, 1, *BOX_A], [1, 2, *BOX_B]]
    m = score(gt, [result_row(1, 1, BOX_A)], 1, "plain")
    assert (m["GT_Dets"], m["FN"], m["FP"]) == (2, 1, 0)
    with pytest.raises(MOTFormatError, match="class"):
        score(gt, [result_row(1, 1, BOX_A)], 1, "mot17")


def test_empty_results_score_every_gt_box_as_missed():
    gt = [gt_row(t, 1, BOX_A) for t in (1, 2)]
    m = score(gt, np.empty((0, 10)), 2)
    assert (m["FN"], m["FP"], m["IDFN"], m["ML"], m["Dets"]) == (2, 0, 2, 1, 0)
    assert m["HOTA"] == m["MOTA"] == m["IDF1"] == 0


def test_results_with_a_non_pedestrian_class_are_rejected():
    gt = [gt_row(1, 1, BOX_A)]
    results = [[1, 1, *BOX_A, 1.0, 3, -1, -1]]  # class 3: car
    with pytest.raises(MOTFormatError, match="row 1: class 3"):
        score(gt, results, 1)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([result_row(0, 1, BOX_A)], "row 1: frame 0 is outside 1..3"),
        ([result_row(4, 1, BOX_A)], "row 1: frame 4 is outside 1..3"),
        ([result_row(1, 1, BOX_A), result_row(1, 1, BOX_B)], r"row 2: track id 1 appears twice"),
        ([result_row(1, -1, BOX_A)], "row 1: track id -1 is not a non-negative integer"),
        ([result_row(1.5, 1, BOX_A)], "row 1: frame 1.5 is not an integer"),
    ],
)
def test_invalid_result_arrays_name_the_row(rows, message):
    with pytest.raises(MOTFormatError, match=message):
        score([gt_row(1, 1, BOX_A)], rows, 3)


def test_missing_sequence_results_or_unknown_benchmark_are_errors():
    gt = {"s": np.array([gt_row(1, 1, BOX_A)], float)}
    with pytest.raises(KeyError, match="no results for sequence 's'"):
        evaluate_mot_sequences(gt, {}, {"s": 1})
    with pytest.raises(ValueError, match="unknown benchmark"):
        evaluate_mot_sequences(gt, {"s": np.empty((0, 7))}, {"s": 1}, "mot99")


def random_sequence(rng: np.random.Generator, length: int, classes: bool):
    """GT tracks moving with noise (some zero-marked, some distractors) and a tracker that
    misses, jitters, swaps identities and hallucinates, so every metric branch is exercised."""
    gt, results = [], []
    for track in range(1, 9):
        start, end = sorted(rng.integers(1, length + 1, size=2))
        x, y = rng.uniform(0, 400, size=2)
        w, h = rng.uniform(20, 60), rng.uniform(50, 150)
        cls = int(rng.choice([1, 1, 1, 2, 7, 8, 12])) if classes else -1
        flag = int(rng.random() > 0.1)
        for t in range(start, end + 1):
            x, y = x + rng.normal(0, 4), y + rng.normal(0, 2)
            gt.append(gt_row(t, track, (x, y, w, h), flag, cls))
            if rng.random() < 0.85:
                tid = track if t < (start + end) / 2 or track % 3 else track + 100
                jitter = rng.normal(0, 4, size=4)
                results.append(result_row(t, tid, (x + jitter[0], y + jitter[1], w, h)))
    for t in range(1, length + 1):
        if rng.random() < 0.3:
            results.append(result_row(t, 500 + t, (*rng.uniform(0, 400, 2), 40, 100)))
    return np.array(gt), np.array(results)


@pytest.mark.parametrize("benchmark", ["mot17", "plain"])
def test_random_sequences_match_trackeval(tmp_path, benchmark):
    pytest.importorskip("trackeval")
    from keeptrack.eval.crosscheck import trackeval_metrics

    rng = np.random.default_rng(7)
    gt, results, lengths, gt_files, result_files = {}, {}, {}, {}, {}
    for k in range(4):
        name = f"seq{k}"
        lengths[name] = int(rng.integers(20, 60))
        gt[name], results[name] = random_sequence(rng, lengths[name], benchmark == "mot17")
        gt_files[name], result_files[name] = tmp_path / f"{name}-gt.txt", tmp_path / f"{name}.txt"
        np.savetxt(gt_files[name], gt[name], fmt="%.17g", delimiter=",")
        np.savetxt(result_files[name], results[name], fmt="%.17g", delimiter=",")

    ours = evaluate_mot_sequences(gt, results, lengths, benchmark)
    reference = trackeval_metrics(gt_files, result_files, lengths, benchmark)

    for seq in reference:
        for key, value in reference[seq].items():
            if key not in {"HOTA_TP", "HOTA_FN", "HOTA_FP", "MOTP_sum"}:
                assert ours[seq][key] == pytest.approx(value, abs=1e-9), (seq, key)
    assert 0 < ours[COMBINED]["HOTA"] < 1


def test_metrics_use_scipys_own_solver_without_importing_scipy_optimize():
    """The metrics load SciPy's compiled assignment directly (a third of an eval run was the
    ``scipy.optimize`` import); it must be the very same solver, ties included."""
    import subprocess
    import sys

    from scipy.optimize import linear_sum_assignment as public

    from keeptrack.eval.lsap import linear_sum_assignment

    rng = np.random.default_rng(0)
    for shape in [(5, 5), (7, 3), (3, 9), (40, 40)]:
        for cost in (rng.random(shape), rng.integers(0, 3, shape).astype(float)):  # ties
            for maximize in (False, True):
                ours, theirs = linear_sum_assignment(cost, maximize), public(cost, maximize)
                assert all(np.array_equal(a, b) for a, b in zip(ours, theirs, strict=True))
    script = "import sys, keeptrack.eval; print('scipy.optimize' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert loaded.stdout.strip() == "False", loaded.stderr

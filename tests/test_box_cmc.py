"""Frame-free camera motion compensation from detection boxes (``cmc="boxes"``, BoxMotion)."""

import cv2
import numpy as np
import pytest

from keeptrack import BoTSORTTracker, ByteTrackTracker, OCSORTTracker, SORTTracker
from keeptrack.benchmark import bytetrack_output_filter, track_detections
from keeptrack.eval import evaluate_mot_sequences
from keeptrack.motion.cmc import CMC, BoxMotion, CameraMotion, FrameOrBoxMotion, make_cmc
from keeptrack.trackers.registry import create_tracker


def crowd(count: int = 12, seed: int = 0) -> np.ndarray:
    """``count`` pedestrian-shaped boxes with scores, spread over a 1920x1080 image."""
    rng = np.random.default_rng(seed)
    h = rng.uniform(80, 250, count)
    x, y = rng.uniform(50, 1700, count), rng.uniform(50, 800, count)
    return np.column_stack([x, y, x + 0.4 * h, y + h, np.full(count, 0.9)])


def shifted(boxes: np.ndarray, dx: float, dy: float, noise: float = 0.0, seed: int = 1):
    rng = np.random.default_rng(seed)
    out = boxes.copy()
    out[:, [0, 2]] += dx
    out[:, [1, 3]] += dy
    out[:, :4] += rng.normal(0, noise, (len(boxes), 4))
    return out


def test_recovers_a_pan_despite_walkers_and_a_false_positive():
    previous = crowd()
    current = shifted(previous, 25.0, -8.0, noise=1.0)
    current[:3, [0, 2]] += 15.0  # three people walking against the pan
    current = np.vstack([current, [900, 500, 950, 620, 0.95]])  # a new box, matching nothing
    cmc = BoxMotion()
    np.testing.assert_array_equal(cmc.estimate(None, previous), np.eye(2, 3))  # first frame
    warp = cmc.estimate(None, current)
    np.testing.assert_allclose(warp[:, :2], np.eye(2))
    np.testing.assert_allclose(warp[:, 2], [25.0, -8.0], atol=1.0)


def test_against_predictions_measures_only_the_unforeseen_motion():
    # Tracks already predicted where the boxes are (everyone walking, static camera): no shift.
    current = crowd()
    predicted = shifted(current, 0.0, 0.0, noise=1.5)[:, :4]
    warp = BoxMotion().estimate(None, current, predicted=predicted)
    assert np.abs(warp[:, 2]).max() < 1.0
    # The camera jerks 30 px left after the prediction: that is what comes back.
    jerk = BoxMotion().estimate(None, shifted(current, -30.0, 0.0), predicted=predicted)
    np.testing.assert_allclose(jerk[:, 2], [-30.0, 0.0], atol=1.0)


def test_identity_when_too_few_boxes_agree_or_scores_are_weak():
    cmc = BoxMotion()
    few = crowd(3)
    cmc.estimate(None, few)
    np.testing.assert_array_equal(cmc.estimate(None, shifted(few, 20, 0)), np.eye(2, 3))
    many = crowd()
    weak = many.copy()
    weak[:, 4] = 0.3  # below min_score: ignored, so nothing to compare with
    cmc.reset()
    cmc.estimate(None, many)
    np.testing.assert_array_equal(cmc.estimate(None, shifted(weak, 20, 0)), np.eye(2, 3))
    # Unrelated boxes (no consistent shift) give the identity, not a guess.
    cmc.reset()
    cmc.estimate(None, crowd(seed=3))
    np.testing.assert_array_equal(cmc.estimate(None, crowd(seed=4)), np.eye(2, 3))
    # Empty frames are fine.
    np.testing.assert_array_equal(cmc.estimate(None, np.empty((0, 5))), np.eye(2, 3))


def test_bad_input_raises():
    cmc = BoxMotion()
    with pytest.raises(ValueError, match="boxes"):
        cmc.estimate(None, np.array([[0, 0, np.nan, 10, 0.9]]))
    with pytest.raises(ValueError, match="boxes"):
        cmc.estimate(None, np.zeros((3, 3)))
    with pytest.raises(ValueError, match="predicted"):
        cmc.estimate(None, crowd(), predicted=np.zeros((2, 5)))
    for bad in ({"min_pairs": 0}, {"match_tolerance": -1}, {"max_size_ratio": 0.5}):
        with pytest.raises(ValueError, match="BoxMotion"):
            BoxMotion(**bad)
    with pytest.raises(ValueError, match="boxes"):
        make_cmc("box")  # the message lists the valid names


def test_by_name_and_without_frames():
    cmc = make_cmc("boxes")
    assert isinstance(cmc, BoxMotion) and isinstance(cmc, CameraMotion)
    tracker = create_tracker("bytetrack", cmc="boxes")
    assert isinstance(tracker.cmc, BoxMotion)
    # A pan of 50 px per frame starting at frame 6 (boxes 60 px wide): without CMC the
    # constant-velocity prediction lags, tracks are lost and most boxes go unreported; with
    # box CMC every box of every frame keeps its identity.
    base = crowd(10)[:, :4]
    base[:, 2] = base[:, 0] + 60
    base[:, 3] = base[:, 1] + 150
    frames = [shifted(np.column_stack([base, np.full(10, 0.9)]), 0, 0)] * 5
    frames += [shifted(frames[0], 50.0 * k, 0) for k in range(1, 15)]
    for cls in (SORTTracker, ByteTrackTracker, OCSORTTracker, BoTSORTTracker):
        reported = {}
        for cmc_name in (None, "boxes"):
            tracker = cls(cmc=cmc_name)
            out = np.concatenate([tracker.update(f) for f in frames])
            reported[cmc_name] = (len(out), len(set(out[:, 4].tolist())))
        assert reported["boxes"] == (10 * len(frames), 10), cls.__name__
        assert reported[None][0] < 0.5 * 10 * len(frames), cls.__name__


@pytest.mark.parametrize("cls", [OCSORTTracker, BoTSORTTracker])
def test_oriented_boxes_follow_a_pan(cls):
    """Oriented tracks are compared by the hull of their rotated box, as detections are."""
    ids = {}
    for cmc in (None, "boxes"):
        tracker, seen = cls(minimum_consecutive_frames=1, cmc=cmc), set()
        for frame in range(30):
            pan = 40.0 * max(frame - 4, 0)
            rows = [[100 + pan + 150 * k, 200 + 50 * k, 50, 150, 0.3, 0.9, 0] for k in range(6)]
            seen |= set(tracker.update(np.array(rows), box_format="xywhr")[:, 5].tolist())
        ids[cmc] = len(seen)
    assert ids["boxes"] == 6 and ids[None] > 6


def test_state_dict_resume_is_identical_with_box_cmc(mot17_val_half):
    fps, frames, _, _ = mot17_val_half["MOT17-13-FRCNN"]
    whole = BoTSORTTracker(frame_rate=fps, cmc="boxes")
    expected = [whole.update(d) for d in frames[:60]]
    first = BoTSORTTracker(frame_rate=fps, cmc="boxes")
    for d in frames[:30]:
        first.update(d)
    second = BoTSORTTracker(frame_rate=fps, cmc="boxes")
    second.load_state_dict(first.state_dict())
    for d, out in zip(frames[30:60], expected[30:], strict=True):
        np.testing.assert_array_equal(second.update(d), out)


@pytest.mark.parametrize("cls", [ByteTrackTracker, BoTSORTTracker])
def test_helps_on_moving_cameras_and_leaves_static_ones_alone(cls, mot17_val_half):
    """MOT17 val half: -10 (night, handheld) and -13 (bus) pan; -04 is a static camera."""

    def score(name: str, cmc: str | None) -> dict:
        fps, frames, gt, length = mot17_val_half[name]
        rows, _ = track_detections(cls(frame_rate=fps, cmc=cmc), frames)
        results = {name: bytetrack_output_filter(rows)}
        return evaluate_mot_sequences({name: gt}, results, {name: length})[name]

    for moving in ("MOT17-10-FRCNN", "MOT17-13-FRCNN"):
        without, with_cmc = score(moving, None), score(moving, "boxes")
        assert with_cmc["HOTA"] > without["HOTA"] + 0.015, moving
        assert with_cmc["IDSW"] < without["IDSW"], moving
    static_without, static_with = score("MOT17-04-FRCNN", None), score("MOT17-04-FRCNN", "boxes")
    assert abs(static_with["HOTA"] - static_without["HOTA"]) < 0.003


def test_auto_uses_pixels_when_frames_come_and_boxes_otherwise():
    rng = np.random.default_rng(0)
    small = rng.integers(0, 255, (30, 40), dtype=np.uint8)
    image = cv2.GaussianBlur(
        cv2.resize(small, (320, 240), interpolation=cv2.INTER_CUBIC), (5, 5), 0
    )
    pan = np.float64([[1, 0, 6.0], [0, 1, -4.0]])
    moved = cv2.warpAffine(image, pan, (320, 240), borderMode=cv2.BORDER_REFLECT)
    auto, pixels = make_cmc("auto"), CMC("sparse_flow")
    assert isinstance(auto, FrameOrBoxMotion)
    none = np.empty((0, 5))
    for frame in (image, moved):
        np.testing.assert_array_equal(
            auto.estimate(frame, none), pixels.estimate(frame, none[:, :4])
        )
    # No frame: the box estimate against the tracker's predictions.
    current = crowd()
    warp = auto.estimate(None, shifted(current, 12.0, 3.0), predicted=current[:, :4])
    np.testing.assert_allclose(warp[:, 2], [12.0, 3.0], atol=1e-9)
    # Frames again: the pixel estimator starts over instead of comparing with a stale image.
    np.testing.assert_array_equal(auto.estimate(moved, none), np.eye(2, 3))
    assert isinstance(BoTSORTTracker().cmc, FrameOrBoxMotion)


def test_a_crowd_of_ambiguous_pairs_is_matched_exactly_one_to_one():
    # The median is taken over a one-to-one matching of references to detections near the
    # winning shift: assign() with far pairs refused and a threshold far above every near
    # pair. Against SciPy's exact solver on the whole matrix: the most pairs, and of those
    # the cheapest.
    from scipy.optimize import linear_sum_assignment

    from keeptrack.association.assignment import assign
    from keeptrack.motion.camera.boxes import _FAR

    rng = np.random.default_rng(0)
    for _ in range(300):
        n, m = rng.integers(1, 9, 2)
        admissible = rng.random((n, m)) < rng.uniform(0.1, 0.6)
        rows, cols = np.nonzero(admissible)
        costs = rng.uniform(0.0, 0.15, len(rows))
        near = np.full((n, m), np.inf)
        near[rows, cols] = costs
        col_of_row = assign(near, _FAR)
        kept_rows = np.flatnonzero(col_of_row >= 0)
        kept_cols = col_of_row[kept_rows]
        cost = np.full((n, m), 1e6)
        cost[rows, cols] = costs
        r, c = linear_sum_assignment(cost)
        exact = {(i, j) for i, j in zip(r, c, strict=True) if admissible[i, j]}
        assert set(zip(kept_rows, kept_cols, strict=True)) == exact


@pytest.mark.parametrize("cmc", ["boxes", "auto", "replay"])
def test_checked_estimate_is_the_estimate(cmc):
    # Trackers call estimate_checked on boxes they have already checked; it must give the same
    # warps and leave the estimator in the same state as estimate().
    from keeptrack.motion.cmc import PrecomputedWarps

    def build():
        if cmc == "replay":
            return PrecomputedWarps(np.stack([np.eye(2, 3) + 0.5 * k for k in range(4)]))
        return make_cmc(cmc)

    plain, checked = build(), build()
    previous = crowd(seed=3)
    for k, dx in enumerate((0.0, 12.0, -7.0, 30.0)):
        boxes = shifted(previous, dx, 0.5 * dx, noise=0.5, seed=k)
        boxes[::4, 4] = 0.3  # weak boxes, left out of the vote
        predicted = previous[:, :4] if k % 2 else None
        warp = plain.estimate(None, boxes, predicted=predicted)
        again = checked.estimate_checked(
            None, boxes[:, :4], boxes[:, 4], None if predicted is None else lambda p=predicted: p
        )
        np.testing.assert_array_equal(warp, again)
        previous = boxes
    assert repr(plain.state_dict()) == repr(checked.state_dict())


def test_a_pixel_warp_is_still_checked_when_frames_come_to_auto(monkeypatch):
    # estimate_checked trusts the warps it estimates from boxes; one from pixels (OpenCV) is
    # checked as before, so a broken estimate raises instead of moving tracks to NaN.
    tracker = BoTSORTTracker(cmc="auto")
    frame = np.zeros((1080, 1920, 3), np.uint8)
    tracker.update(crowd(), frame)
    monkeypatch.setattr(tracker.cmc.frames, "estimate", lambda *a: np.full((2, 3), np.nan))
    with pytest.raises(ValueError, match="warp must be a finite"):
        tracker.update(crowd(), frame)
    assert np.isfinite(tracker._table["mean"]).all()

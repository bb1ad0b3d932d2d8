"""Every tracker of the registry, on both box kinds and both input kinds, on real MOT17 frames.

The registry is the one list of trackers: a tracker added there is checked here without any
change to this file.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import supervision as sv

from keeptrack.geometry import xywhr_to_corners, xyxy_to_xywh
from keeptrack.trackers.registry import TRACKERS, create_tracker

SETTINGS = {"sort": {"track_activation_threshold": 0.6}}


@pytest.fixture(scope="module")
def frames(mot17_val_half):
    return mot17_val_half["MOT17-09-FRCNN"][1][:150]


def embeddings_for(boxes: np.ndarray) -> np.ndarray:
    """Deterministic 16-d unit embeddings from box geometry (stand-ins for a ReID model)."""
    basis = np.random.default_rng(7).standard_normal((4, 16))
    e = np.sin(np.asarray(boxes[:, :4], dtype=np.float64) / 300.0 @ basis) + 1.5
    return e / np.linalg.norm(e, axis=1, keepdims=True)


def oriented(det: np.ndarray, angle: float) -> np.ndarray:
    """``(N, 7)`` ``[cx, cy, w, h, angle, score, class]`` of ``[x1, y1, x2, y2, score]`` rows."""
    return np.column_stack(
        [xyxy_to_xywh(det[:, :4]), np.full(len(det), angle), det[:, 4], np.zeros(len(det))]
    )


def as_supervision(det: np.ndarray) -> sv.Detections:
    if det.shape[1] == 7:
        corners = xywhr_to_corners(det[:, :5])
        return sv.Detections(
            xyxy=np.concatenate([corners.min(axis=1), corners.max(axis=1)], axis=1),
            confidence=det[:, 5],
            class_id=det[:, 6].astype(int),
            data={"xyxyxyxy": corners},
        )
    return sv.Detections(xyxy=det[:, :4], confidence=det[:, 4], class_id=np.zeros(len(det), int))


def run(name: str, frames, to_input=lambda d: d, tracker=None):
    """``(frame, det_index, track_id)`` of every output row."""
    tracker = tracker or create_tracker(name, **SETTINGS.get(name, {}))
    rows = []
    for index, det in enumerate(frames):
        hull = as_supervision(det).xyxy
        extra = {"embeddings": embeddings_for(hull)} if name == "deepsort" else {}
        given = to_input(det)
        if isinstance(given, np.ndarray) and given.shape[1] == 7:
            extra["box_format"] = "xywhr"
        out = tracker.update(given, **extra)
        if isinstance(out, sv.Detections):
            # Output rows are input rows: find each one's index by its box.
            inputs = as_supervision(det).xyxy
            index_of = [int(np.flatnonzero((inputs == box).all(axis=1))[0]) for box in out.xyxy]
            pairs = np.column_stack([index_of, out.tracker_id]).reshape(-1, 2)
        else:
            pairs = out[:, [-1, -4]]
        rows.append(np.column_stack([np.full(len(pairs), index), pairs]))
    return np.concatenate(rows)


@pytest.mark.parametrize("name", sorted(TRACKERS))
def test_tracks_real_frames_with_unique_ids(name, frames):
    rows = run(name, frames)
    assert len(np.unique(rows[:, 0])) > 0.9 * len(frames)  # tracks reported throughout
    for index in np.unique(rows[:, 0]):
        ids = rows[rows[:, 0] == index, 2]
        assert len(set(ids)) == len(ids)
    assert rows[:, 2].max() < 0.5 * len(rows)  # identities persist across frames


@pytest.mark.parametrize("name", sorted(TRACKERS))
def test_oriented_boxes_at_angle_zero_track_like_axis_aligned(name, frames):
    axis = run(name, frames)
    np.testing.assert_array_equal(run(name, [oriented(d, 0.0) for d in frames]), axis)


@pytest.mark.parametrize("name", sorted(TRACKERS))
def test_rotated_boxes_are_tracked_as_well(name, frames):
    """The same scene with every box turned by 0.3 rad about its centre: rotated IoU matches
    the same pairs almost always."""
    axis = run(name, frames)
    rotated = run(name, [oriented(d, 0.3) for d in frames])
    assert abs(len(rotated) - len(axis)) < 0.05 * len(axis)
    assert abs(rotated[:, 2].max() - axis[:, 2].max()) <= max(3, 0.1 * axis[:, 2].max())


@pytest.mark.parametrize("kind", ["axis-aligned", "oriented"])
@pytest.mark.parametrize("name", sorted(TRACKERS))
def test_supervision_input_tracks_like_numpy(name, kind, frames):
    boxes = frames if kind == "axis-aligned" else [oriented(d, 0.2) for d in frames]
    np.testing.assert_array_equal(run(name, boxes, as_supervision), run(name, boxes))


@pytest.mark.parametrize("kind", ["axis-aligned", "oriented"])
@pytest.mark.parametrize("name", sorted(TRACKERS))
def test_state_dict_resumes_bit_identically(name, kind, frames):
    boxes = frames if kind == "axis-aligned" else [oriented(d, 0.2) for d in frames]
    expected = run(name, boxes)
    first = create_tracker(name, **SETTINGS.get(name, {}))
    run(name, boxes[:70], tracker=first)
    resumed = create_tracker(name, **SETTINGS.get(name, {}))
    resumed.load_state_dict(first.state_dict())
    tail = run(name, boxes[70:], tracker=resumed)
    tail[:, 0] += 70
    np.testing.assert_array_equal(tail, expected[expected[:, 0] >= 70])


_JIT_FREE = """
import json, sys
import numpy as np
from test_registry_contract import run, frames_for_subprocess
print(json.dumps({n: run(n, frames_for_subprocess()).tolist() for n in sys.argv[1:]}))
"""


def frames_for_subprocess():
    from keeptrack.io.mot import detections_by_frame, read_mot_file

    path = os.environ["KEEPTRACK_TEST_DET"]
    return detections_by_frame(read_mot_file(path), 40)


def test_jit_disabled_runs_the_same_code(mot17_dir):
    """``NUMBA_DISABLE_JIT=1`` runs the compiled steps as plain Python, with the same tracks."""
    det = mot17_dir / "MOT17-09-FRCNN" / "det" / "det.txt"
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", KEEPTRACK_TEST_DET=str(det))
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(__file__), env.get("PYTHONPATH", "")])
    names = sorted(TRACKERS)
    out = subprocess.run(
        [sys.executable, "-c", _JIT_FREE, *names],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    import json

    plain = json.loads(out.stdout.strip().splitlines()[-1])
    os.environ["KEEPTRACK_TEST_DET"] = str(det)
    try:
        for name in names:
            np.testing.assert_array_equal(np.array(plain[name]), run(name, frames_for_subprocess()))
    finally:
        del os.environ["KEEPTRACK_TEST_DET"]


@pytest.mark.parametrize("name", sorted(TRACKERS))
@pytest.mark.parametrize(
    "frame", [np.random.rand(24, 32, 3), np.zeros((24, 32, 2), np.uint8), np.zeros((0, 5, 3))]
)
def test_bad_frames_are_refused_before_any_state_changes(name, frame):
    tracker = create_tracker(name)
    box = np.array([[10, 20, 50, 120, 0.9]])
    extra = {"embeddings": np.ones((1, 8))} if name == "deepsort" else {}
    tracker.update(box, frame=np.zeros((24, 32, 3), np.uint8), **extra)
    before = tracker.state_dict()
    with pytest.raises(ValueError, match="frame"):
        tracker.update(box, frame=frame, **extra)
    assert tracker.frame_id == before["frame_id"] == 1


def test_deepsort_tracks_oriented_boxes():
    tracker = create_tracker("deepsort", minimum_consecutive_frames=1)
    box = np.array([[100, 80, 60, 20, 0.3, 0.9, 0]])
    out = tracker.update(box, embeddings=np.ones((1, 8)), box_format="xywhr")
    assert out.shape == (1, 9) and out[0, 5] == 1


@pytest.mark.parametrize("name", sorted(TRACKERS))
def test_appearance_model_takes_both_names(name):
    """Trackers with appearance accept ``feature_extractor`` (Roboflow) and ``reid_model``
    (BoT-SORT, boxmot) alike, and refuse two different models."""
    from keeptrack.appearance import ReIDModel
    from keeptrack.trackers.registry import tracker_class

    params = tracker_class(name).parameter_names()
    if "feature_extractor" not in params and "reid_model" not in params:
        pytest.skip(f"{name} has no appearance model")
    model = ReIDModel.histogram()
    for alias in ("feature_extractor", "reid_model"):
        got = create_tracker(name, **{alias: model}).get_params()
        assert got["feature_extractor"] is got["reid_model"] is model
    with pytest.raises(ValueError, match="not both"):
        create_tracker(name, feature_extractor=model, reid_model=ReIDModel.histogram())


@pytest.mark.parametrize("input_kind", ["numpy", "supervision"])
@pytest.mark.parametrize("kind", ["axis-aligned", "oriented"])
@pytest.mark.parametrize("name", sorted(TRACKERS))
def test_return_unmatched_gives_every_row_in_input_order(name, kind, input_kind, frames):
    """``return_unmatched=True``: every detection comes back, in input order; the ones a
    confirmed track owns exactly as the default output has them, the others with id -1."""
    boxes = frames[:60] if kind == "axis-aligned" else [oriented(d, 0.2) for d in frames[:60]]
    settings = SETTINGS.get(name, {})
    default = create_tracker(name, **settings)
    every = create_tracker(name, return_unmatched=True, **settings)
    assert every.get_params()["return_unmatched"] is True
    unmatched = tracked = 0
    for det in boxes:
        given = as_supervision(det) if input_kind == "supervision" else det
        extra = (
            {"embeddings": embeddings_for(as_supervision(det).xyxy)} if name == "deepsort" else {}
        )
        if input_kind == "numpy" and kind == "oriented":
            extra["box_format"] = "xywhr"
        expected, out = default.update(given, **extra), every.update(given, **extra)
        if input_kind == "supervision":
            np.testing.assert_array_equal(out.xyxy, given.xyxy)  # every row, input order
            owned = out.tracker_id != -1
            np.testing.assert_array_equal(out.xyxy[owned], expected.xyxy)
            np.testing.assert_array_equal(out.tracker_id[owned], expected.tracker_id)
            if kind == "oriented":
                np.testing.assert_array_equal(out.data["xyxyxyxy"], given.data["xyxyxyxy"])
        else:
            np.testing.assert_array_equal(out[:, -1], np.arange(len(det)))
            owned = out[:, -4] != -1
            np.testing.assert_array_equal(out[owned], expected)
        unmatched += int((~owned).sum())
        tracked += int(owned.sum())
    assert unmatched > 0 and tracked > 0

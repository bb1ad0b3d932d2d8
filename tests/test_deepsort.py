"""DeepSORTTracker: contract, bad input, resumability, ByteTrack's feature extractor, and the
identity gain from appearance on real MOT15 pixels."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from keeptrack import ByteTrackTracker, DeepSORTTracker, ReIDModel
from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.io.mot import detections_by_frame, read_mot_file, read_seqinfo
from keeptrack.trackers.registry import create_tracker


def walkers(frames: int = 12) -> list[np.ndarray]:
    """Two people walking towards each other, scores 0.9."""
    out = []
    for k in range(frames):
        out.append(
            np.array(
                [[10 + 4 * k, 20, 40 + 4 * k, 90, 0.9], [150 - 4 * k, 20, 180 - 4 * k, 90, 0.9]]
            )
        )
    return out


EMB = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_tracks_and_confirms_after_n_init():
    tracker = DeepSORTTracker(minimum_consecutive_frames=3)
    outputs = [tracker.update(d, embeddings=EMB) for d in walkers(5)]
    assert [len(o) for o in outputs] == [0, 0, 2, 2, 2]
    assert outputs[-1][:, 4].tolist() == [1.0, 2.0]
    assert {t.state for t in tracker.tracks} == {"tracked"}


def test_registry_and_cli_parameters():
    tracker = create_tracker("deepsort", appearance_threshold=0.3, nn_budget=5)
    assert isinstance(tracker, DeepSORTTracker) and tracker.get_params()["nn_budget"] == 5


def test_state_dict_resumes_identically():
    a = DeepSORTTracker(minimum_consecutive_frames=2)
    frames = walkers(12)
    for d in frames[:6]:
        a.update(d, embeddings=EMB)
    b = DeepSORTTracker(minimum_consecutive_frames=2)
    b.load_state_dict(a.state_dict())
    for d in frames[6:]:
        np.testing.assert_array_equal(a.update(d, embeddings=EMB), b.update(d, embeddings=EMB))


def test_appearance_recovers_identity_after_a_gap():
    """A person missing for 5 frames comes back next to where another was: appearance decides."""
    tracker = DeepSORTTracker(minimum_consecutive_frames=1, frame_rate=30)
    box_a, box_b = [10, 20, 40, 90, 0.9], [60, 20, 90, 90, 0.9]
    for _ in range(3):
        tracker.update(np.array([box_a, box_b]), embeddings=EMB)
    for _ in range(5):
        tracker.update(np.array([box_b]), embeddings=EMB[1:])
    out = tracker.update(np.array([box_a, box_b]), embeddings=EMB)
    assert out[:, 4].tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"embeddings": np.ones((3, 3))}, "one row per detection"),
        ({"embeddings": np.ones((2, 4))}, "dimension 3"),
        ({"embeddings": np.array([[1, 0, 0], [np.nan, 0, 0]])}, "NaN"),
        ({"frame": np.zeros((50, 50, 3), dtype=np.float64)}, "frame must have dtype uint8"),
        ({"frame": np.zeros((50, 50, 4), dtype=np.uint8)}, "3 colour channels"),
    ],
)
def test_bad_input_is_named_and_leaves_state_alone(kwargs, message):
    tracker = DeepSORTTracker(reid_model=ReIDModel.histogram(bins=1, stripes=3))
    tracker.update(walkers(1)[0], embeddings=EMB)
    before = tracker.state_dict()
    with pytest.raises(ValueError, match=message):
        tracker.update(walkers(2)[1], **kwargs)
    assert tracker.state_dict()["frame_id"] == before["frame_id"] == 1


def test_frame_or_embeddings_required():
    tracker = DeepSORTTracker(reid_model=ReIDModel.histogram())
    with pytest.raises(ValueError, match="frame is required"):
        tracker.update(walkers(1)[0])
    assert len(tracker.update(np.empty((0, 5)))) == 0  # no detections: nothing to embed


def test_bytetrack_without_extractor_refuses_embeddings():
    with pytest.raises(ValueError, match="feature_extractor"):
        ByteTrackTracker().update(walkers(1)[0], embeddings=EMB)


def test_bytetrack_feature_extractor_keeps_an_ema_per_track():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (120, 200, 3), dtype=np.uint8)
    tracker = ByteTrackTracker(feature_extractor=ReIDModel.histogram())
    for d in walkers(4):
        out = tracker.update(d, frame)
    assert out[:, 4].tolist() == [1.0, 2.0]
    features = tracker.state_dict()["tracks"]["feature"]
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, rtol=1e-5)


# --- real pixels ---------------------------------------------------------------------------------
def _sequence(folder: Path):
    info = read_seqinfo(folder)
    det = read_mot_file(folder / "det" / "det.txt")
    det[:, 6] = np.clip(det[:, 6], 0, None) / det[:, 6].max()
    return info, detections_by_frame(det, info.length), read_mot_file(folder / "gt" / "gt.txt")


def _run(tracker, dets, embeddings) -> np.ndarray:
    rows = []
    for k, (d, e) in enumerate(zip(dets, embeddings, strict=True)):
        out = tracker.update(d, embeddings=e)
        wh = out[:, 2:4] - out[:, :2]
        rows.append(np.column_stack([np.full(len(out), k + 1), out[:, 4], out[:, :2], wh]))
    return np.concatenate(rows)


def test_appearance_reduces_id_switches_on_eth_sunnyday(mot15_dir):
    """DeepSORT with MobileNetV2 (ONNX Runtime) vs the same cascade on motion alone."""
    folder = mot15_dir / "ETH-Sunnyday"
    info, dets, gt = _sequence(folder)
    model = ReIDModel.mobilenetv2("onnx")
    embeddings = []
    for k, d in enumerate(dets, start=1):
        frame = cv2.imread(str(folder / "img1" / f"{k:06d}.jpg"))
        embeddings.append(model.embed(frame, d[:, :4]))
    motion = DeepSORTTracker(
        frame_rate=info.frame_rate, appearance_weight=0.0, appearance_threshold=2.0
    )
    appearance = DeepSORTTracker(frame_rate=info.frame_rate)
    results = {
        "motion": _run(motion, dets, embeddings),
        "appearance": _run(appearance, dets, embeddings),
    }
    scores = {
        name: evaluate_mot_sequences(
            {info.name: gt}, {info.name: rows}, {info.name: info.length}, benchmark="plain"
        )[COMBINED]
        for name, rows in results.items()
    }
    assert scores["appearance"]["IDSW"] <= 0.8 * scores["motion"]["IDSW"]
    assert scores["appearance"]["IDF1"] > scores["motion"]["IDF1"] + 0.05

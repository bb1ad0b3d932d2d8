import numpy as np
import pytest
import supervision as sv

from keeptrack import ByteTrackTracker, SORTTracker
from keeptrack.detections import from_detection_matrix, to_detection_arrays

GOOD = np.array([[10.0, 20.0, 50.0, 90.0, 0.9, 2.0], [100.0, 100.0, 130.0, 170.0, 0.8, 0.0]])


@pytest.mark.parametrize("columns", [4, 5, 6])
def test_numpy_shapes(columns):
    batch = to_detection_arrays(GOOD[:, :columns])
    np.testing.assert_array_equal(batch.xyxy, GOOD[:, :4])
    expected_scores = GOOD[:, 4] if columns >= 5 else [1.0, 1.0]
    np.testing.assert_array_equal(batch.confidence, expected_scores)
    np.testing.assert_array_equal(batch.class_id, GOOD[:, 5] if columns == 6 else [0, 0])


def test_lists_and_empty_inputs():
    assert len(to_detection_arrays(GOOD.tolist())) == 2
    for empty in (None, [], np.empty((0, 5)), np.empty(0), sv.Detections.empty()):
        assert len(to_detection_arrays(empty)) == 0


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        (np.ones((3, 3)), "(N, 4), (N, 5) or (N, 6)"),
        (np.ones((2, 8)), "(N, 4), (N, 5) or (N, 6)"),
        (np.ones((2, 2, 4)), "(N, 4), (N, 5) or (N, 6)"),
        (np.array([["a", "b", "c", "d"]]), "numeric dtype"),
        (np.array([[0, 0, np.nan, 1, 0.5]]), "NaN or inf"),
        (np.array([[0, 0, np.inf, 1, 0.5]]), "NaN or inf"),
        (np.array([[10, 0, 5, 1, 0.5]]), "x2 > x1"),
        (np.array([[5, 0, 5, 1, 0.5]]), "x2 > x1"),
        (np.array([[0, 1, 5, 1, 0.5]]), "y2 > y1"),
        (np.array([[0, 10, 5, 1, 0.5]]), "y2 > y1"),
        (np.array([[0, 0, 5, 5, 1.5]]), "[0, 1]"),
        (np.array([[0, 0, 5, 5, -0.1]]), "[0, 1]"),
        (np.array([[0, 0, 5, 5, 0.5, 1.5]]), "whole numbers"),
    ],
)
def test_bad_arrays_raise_naming_the_argument(bad, fragment):
    with pytest.raises(ValueError, match="detections") as error:
        to_detection_arrays(bad)
    assert fragment in str(error.value)


def test_mismatched_supervision_lengths_are_rejected():
    det = sv.Detections(xyxy=GOOD[:, :4], confidence=GOOD[:, 4], class_id=np.array([1, 2]))
    det.confidence = np.array([0.5])  # corrupt after construction, as a buggy detector might
    with pytest.raises(ValueError, match="one entry per box"):
        to_detection_arrays(det)


@pytest.mark.parametrize("tracker_cls", [SORTTracker, ByteTrackTracker])
def test_bad_input_leaves_tracker_state_unchanged(tracker_cls):
    tracker = tracker_cls()
    for _ in range(3):
        tracker.update(GOOD)
    before = tracker.state_dict()
    for bad in (np.array([[0, 0, np.nan, 1, 0.5]]), np.ones((2, 3)), np.array([[5, 5, 1, 1, 0.9]])):
        with pytest.raises(ValueError):
            tracker.update(bad)
    with pytest.raises(ValueError, match="frame"):
        tracker.update(GOOD, frame=np.zeros(5))
    with pytest.raises(ValueError, match="timestamp"):
        tracker.update(GOOD, timestamp=float("nan"))
    after = tracker.state_dict()
    assert after["frame_id"] == before["frame_id"]
    for key, column in before["tracks"].items():
        np.testing.assert_array_equal(after["tracks"][key], column)


def test_supervision_fields_are_carried_through():
    n = 3
    det = sv.Detections(
        xyxy=np.array([[0, 0, 10, 20], [50, 50, 70, 90], [200, 10, 230, 60]], dtype=float),
        confidence=np.array([0.9, 0.95, 0.85]),
        class_id=np.array([0, 2, 0]),
        mask=np.zeros((n, 8, 8), dtype=bool),
        data={"class_name": np.array(["person", "car", "person"])},
    )
    tracker = ByteTrackTracker()
    out = tracker.update(det)
    assert isinstance(out, sv.Detections)
    assert out.tracker_id.tolist() == [1, 2, 3]
    assert out.data["class_name"].tolist() == ["person", "car", "person"]
    assert out.class_id.tolist() == [0, 2, 0]
    assert out.mask.shape == (3, 8, 8)
    np.testing.assert_array_equal(out.xyxy, det.xyxy)


def test_supervision_output_equals_indexing_every_field():
    """The returned rows are what ``detections[rows]`` gives, every field and data entry."""
    import supervision as sv

    from keeptrack.detections import to_detection_arrays

    n = 5
    source = sv.Detections(
        xyxy=np.arange(4 * n, dtype=float).reshape(n, 4) * [1, 1, 2, 2] + [0, 0, 1, 1],
        mask=np.random.default_rng(0).random((n, 3, 3)) > 0.5,
        confidence=np.linspace(0.5, 0.9, n),
        class_id=np.arange(n),
        data={"class_name": np.array(list("abcde")), "extra": list(range(n))},
        metadata={"video": "x"},
    )
    out = to_detection_arrays(source).with_tracks(np.array([3, 1]), np.array([7, 8]))
    expected = source[np.array([1, 3])]
    for name in ("xyxy", "mask", "confidence", "class_id"):
        np.testing.assert_array_equal(getattr(out, name), getattr(expected, name))
    np.testing.assert_array_equal(out.tracker_id, [8, 7])
    assert list(out.data["class_name"]) == ["b", "d"] and out.data["extra"] == [1, 3]
    assert out.metadata == {"video": "x"} and isinstance(out, sv.Detections)


def test_a_prebuilt_detection_matrix_is_checked_and_used_without_a_copy():
    matrix = np.array([[10.0, 20.0, 50.0, 90.0, 0.0, 0.9, 2.0], [0, 0, 5, 5, 0, 0.3, 0]])
    batch = from_detection_matrix(matrix, "results")
    assert np.shares_memory(batch.xyxy, matrix) and batch.matrix is matrix
    assert batch.class_id.tolist() == [2, 0] and batch.confidence.tolist() == [0.9, 0.3]
    tracker = ByteTrackTracker()
    _, det_index, _ = tracker._track_batch(batch, None, None)
    assert tracker.frame_id == 1 and det_index.tolist() == [0]  # the first frame confirms
    bad = matrix.copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"results.*row 1"):
        from_detection_matrix(bad, "results")

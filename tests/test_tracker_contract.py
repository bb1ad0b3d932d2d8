"""The contract every tracker shares, checked on synthetic and real detections."""

import numpy as np
import pytest
from scenes import walking

from keeptrack import ByteTrackTracker, SORTTracker
from keeptrack.io.sequence import load_sequence

TRACKERS = [SORTTracker, ByteTrackTracker]


@pytest.fixture(scope="module")
def mot17_frames(mot17_dir):
    return load_sequence(mot17_dir / "MOT17-09-FRCNN", gt=False).frames[:200]


@pytest.mark.parametrize("cls", TRACKERS)
def test_ids_are_stable_and_start_at_one_per_instance(cls):
    first, second = cls(), cls()
    for frame in range(20):
        out = first.update(walking(frame))
        second.update(walking(frame))
    assert sorted(out[:, 4].tolist()) == [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(out[:, 7], [0, 1, 2])  # input order
    np.testing.assert_array_equal(out[:, :4], walking(19)[:, :4])  # the detections' own boxes
    assert [t.track_id for t in second.tracks] == [t.track_id for t in first.tracks]


@pytest.mark.parametrize("cls", TRACKERS)
def test_tracks_view_and_lifecycle(cls):
    tracker = cls(lost_track_buffer=5)
    for frame in range(10):
        tracker.update(walking(frame))
    views = {t.track_id: t for t in tracker.tracks}
    with pytest.raises(AttributeError):
        views[1].track_id = 5  # the public view is read-only
    assert {v.state for v in views.values()} == {"tracked"}
    assert all(v.hits == 10 and v.time_since_update == 0 and v.age == 9 for v in views.values())
    tracker.update(walking(10)[:2])  # object 3 disappears
    lost = [t for t in tracker.tracks if t.state == "lost"]
    assert len(lost) == 1 and lost[0].time_since_update == 1 and lost[0].class_id == 1
    for _ in range(6):
        tracker.update(np.empty((0, 5)))  # empty frames are valid and age every track
    assert tracker.tracks == ()


@pytest.mark.parametrize("cls", TRACKERS)
def test_reset_restarts_ids(cls):
    tracker = cls()
    for frame in range(5):
        tracker.update(walking(frame))
    tracker.reset()
    assert tracker.tracks == () and tracker.frame_id == 0
    for frame in range(5):
        out = tracker.update(walking(frame))
    assert sorted(out[:, 4]) == [1, 2, 3]


@pytest.mark.parametrize("cls", TRACKERS)
def test_state_dict_resume_gives_identical_results(cls, mot17_frames):
    params = {"track_activation_threshold": 0.6} if cls is SORTTracker else {}
    straight = cls(**params)
    expected = [straight.update(d) for d in mot17_frames]
    first = cls(**params)
    for d in mot17_frames[:100]:
        first.update(d)
    resumed = cls(**params)
    resumed.load_state_dict(first.state_dict())
    tail = [resumed.update(d) for d in mot17_frames[100:]]
    assert sum(len(o) for o in tail) > 500
    for got, want in zip(tail, expected[100:], strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("cls", TRACKERS)
def test_timestamp_gap_counts_as_missed_frames(cls):
    gap = cls(lost_track_buffer=30, frame_rate=10)
    for frame in range(5):
        gap.update(walking(frame), timestamp=frame / 10)
    gap.update(walking(6), timestamp=0.6)  # one dropped frame
    assert gap.frame_id == 7
    with pytest.raises(ValueError, match="backwards"):
        gap.update(walking(7), timestamp=0.1)


@pytest.mark.parametrize("cls", TRACKERS)
def test_camera_motion_moves_every_track(cls):
    tracker = cls()
    for frame in range(5):
        tracker.update(walking(frame))
    before = np.array([t.xyxy for t in tracker.tracks])
    tracker.apply_camera_motion([[1, 0, 25.0], [0, 1, -10.0]])
    after = np.array([t.xyxy for t in tracker.tracks])
    np.testing.assert_allclose(after - before, np.tile([25.0, -10.0, 25.0, -10.0], (3, 1)))
    with pytest.raises(ValueError, match="2x3"):
        tracker.apply_camera_motion(np.eye(3))


def test_get_params_and_repr_round_trip():
    tracker = ByteTrackTracker(lost_track_buffer=60, fuse_score=False)
    params = tracker.get_params()
    assert params["lost_track_buffer"] == 60 and params["fuse_score"] is False
    assert ByteTrackTracker(**params).get_params() == params
    assert "lost_track_buffer=60" in repr(tracker)


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (SORTTracker, {"minimum_iou_threshold": 1.5}, "minimum_iou_threshold"),
        (SORTTracker, {"frame_rate": 0}, "frame_rate"),
        (ByteTrackTracker, {"lost_track_buffer": -1}, "lost_track_buffer"),
        (ByteTrackTracker, {"high_conf_det_threshold": "high"}, "high_conf_det_threshold"),
        (ByteTrackTracker, {"low_conf_det_threshold": 0.9}, "low_conf_det_threshold"),
    ],
)
def test_bad_parameters_are_named(cls, kwargs, name):
    with pytest.raises(ValueError, match=name):
        cls(**kwargs)


def test_bytetrack_uses_low_score_boxes_to_keep_identity():
    """An occluded object whose score drops below the high threshold keeps its id (BYTE)."""
    tracker = ByteTrackTracker()
    for frame in range(10):
        tracker.update(walking(frame))
    dimmed = walking(10)
    dimmed[0, 4] = 0.3
    out = tracker.update(dimmed)
    assert 0 in out[:, 7].astype(int).tolist()
    sort = SORTTracker(track_activation_threshold=0.5)
    for frame in range(10):
        sort.update(walking(frame))
    assert 0 not in sort.update(dimmed)[:, 7].astype(int).tolist()


def test_new_bytetrack_tracks_need_two_frames_after_the_first():
    tracker = ByteTrackTracker()
    tracker.update(walking(0)[:1])
    out = tracker.update(walking(1))
    assert out[:, 7].tolist() == [0]  # the newcomers are tentative this frame
    out = tracker.update(walking(2))
    assert out[:, 7].tolist() == [0, 1, 2]
    assert sorted(out[:, 4].tolist()) == [1, 2, 3]  # no gaps from tentative tracks

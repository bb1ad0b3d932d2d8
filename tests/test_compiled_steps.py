"""The compiled BYTE, SORT and OC-SORT steps must be the readable NumPy steps, bit for bit,
on real data."""

from __future__ import annotations

import numpy as np
import pytest

from keeptrack import BoTSORTTracker, ByteTrackTracker, OCSORTTracker, SORTTracker


def run(tracker, frames):
    outputs = [tracker.update(frame) for frame in frames]
    return outputs, tracker.state_dict()


def assert_same_tracking(make_tracker, frames):
    compiled = make_tracker()
    reference = make_tracker()
    reference._use_kernel = False
    out_a, state_a = run(compiled, frames)
    out_b, state_b = run(reference, frames)
    assert sum(len(o) > 0 for o in out_a) > 0.9 * len(frames)  # tracks reported throughout
    for frame, (a, b) in enumerate(zip(out_a, out_b, strict=True)):
        np.testing.assert_array_equal(a, b, err_msg=f"frame {frame + 1}")
    assert state_a["next_id"] == state_b["next_id"]
    for name, column in state_a["tracks"].items():
        np.testing.assert_array_equal(column, state_b["tracks"][name], err_msg=name)


@pytest.mark.parametrize("cls", [ByteTrackTracker, BoTSORTTracker, OCSORTTracker])
@pytest.mark.parametrize("sequence", ["MOT17-04-FRCNN", "MOT17-13-FRCNN"])
def test_compiled_step_equals_numpy_step_on_mot17(mot17_val_half, cls, sequence):
    fps, frames, _, _ = mot17_val_half[sequence]
    assert_same_tracking(lambda: cls(frame_rate=fps), frames)


@pytest.mark.parametrize("cls", [ByteTrackTracker, OCSORTTracker])
def test_compiled_step_equals_numpy_step_class_aware(mot17_val_half, cls):
    fps, frames, _, _ = mot17_val_half["MOT17-09-FRCNN"]
    rng = np.random.default_rng(0)
    two_classes = [np.column_stack([f[:, :5], rng.integers(0, 2, len(f))]) for f in frames]
    assert_same_tracking(lambda: cls(frame_rate=fps, class_aware=True), two_classes)


def test_compiled_step_equals_numpy_step_with_other_thresholds(mot17_val_half):
    fps, frames, _, _ = mot17_val_half["MOT17-02-FRCNN"]
    assert_same_tracking(
        lambda: ByteTrackTracker(
            frame_rate=fps,
            minimum_consecutive_frames=1,
            fuse_score=False,
            lost_track_buffer=5,
            minimum_iou_threshold=0.3,
            promote_iou_threshold=0.6,
            promote_score_threshold=0.3,
        ),
        frames,
    )


@pytest.mark.parametrize("use_kernel", [True, False])
def test_more_tracks_than_the_initial_storage(use_kernel):
    """300 objects at once: the track table grows past its preallocated rows."""
    corners = np.stack(np.meshgrid(np.arange(20) * 60.0, np.arange(15) * 60.0), -1).reshape(-1, 2)
    boxes = np.column_stack([corners, corners + 40.0, np.full(len(corners), 0.9)])
    tracker = ByteTrackTracker()
    tracker._use_kernel = use_kernel
    first = tracker.update(boxes)
    second = tracker.update(boxes + [2.0, 1.0, 2.0, 1.0, 0.0])
    assert first[:, 4].tolist() == list(range(1, 301))
    assert second[:, 4].tolist() == list(range(1, 301))
    assert len(tracker.tracks) == 300


def test_compiled_step_equals_numpy_step_after_rotating_camera_warps(mot17_val_half):
    """A rotating warp couples x and y in the covariance: the general (non-diagonal) update."""
    fps, frames, _, _ = mot17_val_half["MOT17-10-FRCNN"]
    angle = 0.002
    warp = np.array([[np.cos(angle), -np.sin(angle), 1.5], [np.sin(angle), np.cos(angle), -0.5]])
    trackers = [BoTSORTTracker(frame_rate=fps, cmc=None) for _ in range(2)]
    trackers[1]._use_kernel = False
    for frame in frames[:200]:
        outputs = []
        for tracker in trackers:
            tracker.apply_camera_motion(warp)
            outputs.append(tracker.update(frame))
        np.testing.assert_array_equal(outputs[0], outputs[1])
    cov = trackers[0].state_dict()["tracks"]["cov"]
    assert np.abs(cov[:, 0, 1]).max() > 0  # the coupled path really ran
    for name, column in trackers[0].state_dict()["tracks"].items():
        np.testing.assert_array_equal(column, trackers[1].state_dict()["tracks"][name])


@pytest.mark.parametrize("sequence", ["MOT17-04-FRCNN", "MOT17-13-FRCNN"])
def test_compiled_sort_step_equals_numpy_step_on_mot17(mot17_val_half, sequence):
    fps, frames, _, _ = mot17_val_half[sequence]
    assert_same_tracking(
        lambda: SORTTracker(frame_rate=fps, track_activation_threshold=0.6), frames
    )


def test_compiled_sort_step_equals_numpy_step_class_aware_and_cmc(mot17_val_half):
    fps, frames, _, _ = mot17_val_half["MOT17-10-FRCNN"]
    rng = np.random.default_rng(1)
    two_classes = [np.column_stack([f[:, :5], rng.integers(0, 2, len(f))]) for f in frames]
    assert_same_tracking(
        lambda: SORTTracker(
            frame_rate=fps, class_aware=True, cmc="boxes", minimum_consecutive_frames=1
        ),
        two_classes,
    )


def test_compiled_ocsort_step_equals_numpy_step_with_byte_and_longer_delta_t(mot17_val_half):
    fps, frames, _, _ = mot17_val_half["MOT17-02-FRCNN"]
    assert_same_tracking(lambda: OCSORTTracker(frame_rate=fps, use_byte=True, delta_t=3), frames)


def test_compiled_ocsort_step_equals_numpy_step_with_box_cmc(mot17_val_half):
    """Camera warps move the stored observations and history (in Python) between frames."""
    fps, frames, _, _ = mot17_val_half["MOT17-10-FRCNN"]
    assert_same_tracking(lambda: OCSORTTracker(frame_rate=fps, cmc="boxes"), frames)


def test_compiled_ocsort_step_re_updates_returning_tracks():
    """A track unseen for five frames comes back (through ORU) alike on both paths."""
    path = [
        np.array([[10.0 + 4 * k, 20.0 + 2 * k, 60.0 + 4 * k, 120.0 + 2 * k, 0.9]])
        for k in range(60)
    ]
    frames = [box if not 20 <= k < 25 else np.empty((0, 5)) for k, box in enumerate(path)]
    assert_same_tracking(lambda: OCSORTTracker(delta_t=3), frames)
    tracker = OCSORTTracker(delta_t=3)
    assert [tracker.update(f)[:, 4].tolist() for f in frames][25] == [1]  # same id after the gap

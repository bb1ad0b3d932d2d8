"""keeptrack.compat.ultralytics without Ultralytics: args, input and output, the id and
camera-motion hooks, and the model.predict bridge on stand-in objects shaped like Ultralytics'.
(``tests/test_ultralytics_parity.py`` compares the rows with the real package.)"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from ultralytics_blackbox import Results, results_of

from keeptrack import ByteTrackTracker, ReIDModel
from keeptrack.compat.ultralytics import (
    BOTSORT,
    BOTSORT_ARGS,
    BYTETRACK_ARGS,
    BYTETracker,
    UltralyticsAdapter,
    register_tracker,
)

YAML_FILE = """\
# Ultralytics-style tracker file
tracker_type: bytetrack # (str) Tracker backend
track_high_thresh: 0.5
track_low_thresh: 0.1
new_track_thresh: 0.6
track_buffer: 60
match_thresh: 0.7
fuse_score: False
"""


def walk(frames: int = 8, step: float = 4.0) -> list[np.ndarray]:
    """Two people walking apart: ``[x1, y1, x2, y2, score]`` per frame."""
    return [
        np.array(
            [
                [100 + step * k, 50, 140 + step * k, 150, 0.9],
                [400 - step * k, 60, 450 - step * k, 200, 0.8],
            ]
        )
        for k in range(frames)
    ]


def test_args_from_namespace_dict_and_yaml_file_agree(tmp_path):
    path = tmp_path / "mytracker.yaml"
    path.write_text(YAML_FILE)
    values = {
        "track_high_thresh": 0.5,
        "new_track_thresh": 0.6,
        "track_buffer": 60,
        "match_thresh": 0.7,
        "fuse_score": False,
    }
    trackers = [BYTETracker(path), BYTETracker(values), BYTETracker(SimpleNamespace(**values))]
    params = [t.tracker.get_params() for t in trackers]
    assert params[0] == params[1] == params[2]
    p = params[0]
    assert p["minimum_iou_threshold"] == pytest.approx(0.3)
    assert p["track_activation_threshold"] == 0.6 and p["fuse_score"] is False
    assert p["ids_at_birth"] is True and p["promote_iou_threshold"] is None
    assert trackers[0].max_frames_lost == 61  # Ultralytics re-finds a track 1 frame longer
    assert trackers[0].args == {**BYTETRACK_ARGS, **values}


def test_defaults_are_ultralytics_yaml_files():
    assert BYTETracker().args == BYTETRACK_ARGS and BOTSORT().args == BOTSORT_ARGS
    assert BYTETRACK_ARGS["track_high_thresh"] == 0.25 and BYTETRACK_ARGS["match_thresh"] == 0.8
    assert BOTSORT().tracker.cmc is not None  # gmc_method: sparseOptFlow
    assert BOTSORT({"gmc_method": "none"}).tracker.cmc is None
    assert BYTETracker(frame_rate=15).max_frames_lost == 16


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ({"track_high_tresh": 0.5}, "track_high_tresh"),
        ({"track_high_thresh": 1.5}, "track_high_thresh"),
        ({"match_thresh": "high"}, "match_thresh"),
        ({"track_buffer": -1}, "track_buffer"),
        ({"fuse_score": "yes"}, "fuse_score"),
        ({"tracker_type": "botsort"}, "tracker_type"),
        (42, "args"),
    ],
)
def test_bad_args_name_the_argument(args, named):
    with pytest.raises(ValueError, match=named):
        BYTETracker(args)


def test_bad_botsort_args_and_options_name_the_argument(tmp_path):
    with pytest.raises(ValueError, match="gmc_method"):
        BOTSORT({"gmc_method": "optical"})
    with pytest.raises(ValueError, match="with_reid"):
        BOTSORT({"with_reid": True, "gmc_method": "none"})
    with pytest.raises(ValueError, match="promote_iou"):
        BYTETracker(promote_iou=0.8)
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        BYTETracker(tmp_path / "missing.yaml")


def test_keeptrack_options_override_the_mapped_args():
    tracker = BYTETracker({"match_thresh": 0.7}, promote_iou_threshold=0.8, cmc="boxes")
    params = tracker.tracker.get_params()
    assert params["promote_iou_threshold"] == 0.8
    assert params["minimum_iou_threshold"] == pytest.approx(0.3)
    assert tracker.tracker.cmc is not None


def test_rows_are_activated_tracks_with_kalman_boxes_and_detection_index():
    tracker = BYTETracker()
    for dets in walk()[:-1]:
        tracker.update(results_of(dets))
    rows = tracker.update(results_of(walk()[-1][::-1]))  # idx refers to the caller's rows
    assert rows.dtype == np.float32 and rows.shape == (2, 8)
    assert sorted(rows[:, 4].tolist()) == [1.0, 2.0]
    by_id = {int(r[4]): r for r in rows}
    assert by_id[1][7] == 1 and by_id[2][7] == 0  # track 1 (born from row 0) is in row 1 now
    np.testing.assert_allclose(by_id[1][5:7], [0.9, 0.0])
    # A Kalman box: near the detection, not equal to it (the filter lags a moving box).
    last = walk()[-1][0, :4]
    assert np.abs(by_id[1][:4] - last).max() < 3.0
    assert not np.allclose(by_id[1][:4], last, atol=1e-3)


def test_empty_frames_and_bad_results():
    tracker = BYTETracker()
    empty = Results(np.zeros(0, np.float32), np.zeros((0, 4), np.float32), np.zeros(0))
    assert tracker.update(empty).shape == (0, 8)
    with pytest.raises(ValueError, match="xywh"):
        tracker.update(SimpleNamespace(conf=np.ones(1), cls=np.zeros(1)))
    with pytest.raises(ValueError, match=r"results\.conf"):
        tracker.update(SimpleNamespace(conf=np.ones(2), cls=np.zeros(1), xywh=np.ones((1, 4))))
    with pytest.raises(ValueError, match=r"results\.xywh must have shape"):
        tracker.update(SimpleNamespace(conf=np.ones(1), cls=np.zeros(1), xywh=np.ones((1, 3))))
    assert tracker.frame_id == 1  # only the empty frame counted
    tracker.update(results_of(walk(1)[0]))
    before = tracker.tracker.tracks
    nan_box = Results(np.ones(1, np.float32), np.array([[5, 5, np.nan, 4]], np.float32), [0])
    with pytest.raises(ValueError, match=r"results.*NaN"):
        tracker.update(nan_box)
    assert tracker.frame_id == 2 and tracker.tracker.tracks == before


def test_ids_are_handed_out_at_birth():
    """A track that starts and dies unconfirmed uses up an id, as in Ultralytics."""
    lone = np.array([[10, 10, 50, 90, 0.9]])
    flash = np.array([[10, 10, 50, 90, 0.9], [300, 10, 340, 90, 0.9]])
    late = np.array([[10, 10, 50, 90, 0.9], [600, 10, 640, 90, 0.9]])
    frames = [lone, flash, lone, late, late]
    ours = BYTETracker()
    rows = [ours.update(results_of(d)) for d in frames]
    assert rows[-1][:, 4].tolist() == [1.0, 3.0]  # id 2 went to the flash
    plain = ByteTrackTracker(track_activation_threshold=0.25)
    assert [plain.update(d) for d in frames][-1][:, 4].tolist() == [1.0, 2.0]
    born = ByteTrackTracker(track_activation_threshold=0.25, ids_at_birth=True)
    assert [born.update(d) for d in frames][-1][:, 4].tolist() == [1.0, 3.0]
    with pytest.raises(ValueError, match="ids_at_birth"):
        ByteTrackTracker(ids_at_birth=True, reid_model=ReIDModel.histogram())


def test_a_late_refind_is_deleted_the_next_time_it_is_lost():
    """reference_lost_pool: a track matched in the frame after its buffer ran out is deleted
    when it is next lost (the reference has it on its removed list); by default it gets a
    fresh buffer like any other lost track."""
    person = np.array([[100, 100, 140, 200, 0.9]])
    empty = np.empty((0, 5))
    buffer = 5  # lost_track_buffer at 30 fps: deleted once unmatched for more than 5 frames
    # Last matched in frame 3, unmatched in frames 4-8; frame 9 is past the buffer (6 > 5), the
    # last frame a lost track can still be matched in before it is deleted.
    frames = [person] * 3 + [empty] * buffer + [person] * 2 + [empty] * 2 + [person]
    for reference, ids in ((False, [1.0]), (True, [2.0])):
        tracker = ByteTrackTracker(
            lost_track_buffer=buffer, minimum_consecutive_frames=1, reference_lost_pool=reference
        )
        rows = [tracker.update(d) for d in frames]
        assert rows[buffer + 3][:, 4].tolist() == [1.0]  # re-found in the frame after the buffer
        assert rows[-1][:, 4].tolist() == ids  # lost again for 2 frames: kept, or gone


def test_reset_and_reset_id():
    tracker = BYTETracker()
    for dets in walk():
        tracker.update(results_of(dets))
    tracker.reset()
    assert tracker.frame_id == 0 and tracker.tracker.tracks == ()
    assert tracker.update(results_of(walk()[0]))[:, 4].tolist() == [1.0, 2.0]
    tracker.reset_id()  # tracks stay, numbering restarts for new ones
    rows = tracker.update(results_of(np.vstack([walk()[1], [[700, 50, 740, 150, 0.9]]])))
    assert rows[:, 4].tolist() == [1.0, 2.0]
    assert len(tracker.tracker.tracks) == 3
    assert tracker.tracker.tracks[-1].track_id == 1


def test_multi_gmc_moves_the_tracks_with_the_camera():
    still, moved = BYTETracker(), BYTETracker()
    box = np.array([[100, 100, 150, 250, 0.9]])
    for _ in range(5):
        still.update(results_of(box))
        moved.update(results_of(box))
    moved.multi_gmc(np.array([[1.0, 0, 30], [0, 1.0, -10]]))
    shifted = box + [[30, -10, 30, -10, 0]]
    a, b = still.update(results_of(shifted)), moved.update(results_of(shifted))
    assert a[0, 4] == b[0, 4] == 1
    # Warped, the prediction sits on the new box, so the Kalman box is the box itself.
    np.testing.assert_allclose(b[0, :4], shifted[0, :4], atol=1e-3)
    assert np.abs(a[0, :4] - shifted[0, :4]).max() > 1.0
    with pytest.raises(ValueError, match="warp"):
        moved.multi_gmc(np.eye(3))


def test_oriented_results_give_nine_columns_with_the_detection_angle():
    tracker = BYTETracker()
    for k in range(6):
        boxes = np.array([[100 + 3 * k, 80, 60, 20, 0.1 * k], [300, 200, 40, 40, 0.0]])
        rows = tracker.update(Results(np.array([0.9, 0.8]), boxes, np.array([0.0, 1.0])))
    assert rows.shape == (2, 9)
    np.testing.assert_allclose(rows[:, 4], [0.5, 0.0], atol=1e-6)  # [x, y, w, h, angle, ...]
    assert rows[:, 5].tolist() == [1.0, 2.0] and rows[:, 7].tolist() == [0.0, 1.0]


# --- the model.predict bridge, on stand-ins shaped like Ultralytics' objects ----------------


class StandInBoxes:
    """``result.boxes``: ``data`` rows ``[x1, y1, x2, y2, (id,) score, cls]``."""

    def __init__(self, data: np.ndarray) -> None:
        self.data = data

    def cpu(self) -> StandInBoxes:
        return self

    def numpy(self) -> Results:
        xyxy = self.data[:, :4]
        xywh = np.column_stack([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]])
        return Results(self.data[:, -2], xywh, self.data[:, -1])

    @property
    def id(self) -> np.ndarray | None:
        return self.data[:, 4] if self.data.shape[1] == 7 else None


class StandInResult:
    def __init__(self, path: str, data: np.ndarray) -> None:
        self.path, self.boxes, self.obb = path, StandInBoxes(data), None
        self.orig_img = np.zeros((480, 640, 3), np.uint8)

    def __getitem__(self, index: np.ndarray) -> StandInResult:
        return StandInResult(self.path, self.boxes.data[index])

    def update(self, boxes: np.ndarray) -> None:
        self.boxes = StandInBoxes(np.asarray(boxes))


class StandInModel:
    def __init__(self) -> None:
        self.callbacks: dict[str, list] = {}

    def add_callback(self, event: str, callback) -> None:
        self.callbacks.setdefault(event, []).append(callback)

    def predict(self, frames: list[tuple[str, np.ndarray]]):
        """Ultralytics' loop as the callbacks see it: start, then one result per frame."""
        predictor = SimpleNamespace(
            dataset=SimpleNamespace(bs=1), args=SimpleNamespace(task="detect")
        )
        for callback in self.callbacks["on_predict_start"]:
            callback(predictor)
        for path, data in frames:
            predictor.results = [StandInResult(path, data)]
            for callback in self.callbacks["on_predict_postprocess_end"]:
                callback(predictor)
            yield predictor.results[0]


def detections(dets: np.ndarray) -> np.ndarray:
    return np.column_stack([dets, np.zeros(len(dets))])  # [x1, y1, x2, y2, score, cls]


@pytest.mark.parametrize("tracker", ["ocsort", "bytetrack", lambda: BYTETracker()])
def test_register_tracker_makes_predict_track(tracker):
    model = StandInModel()
    register_tracker(model, tracker)
    results = list(model.predict([("video.mp4", detections(d)) for d in walk(10)]))
    last = results[-1].boxes
    assert last.id is not None and sorted(last.id.tolist()) == [1.0, 2.0]
    assert last.data.shape[1] == 7  # [x1, y1, x2, y2, id, score, cls], as model.track gives
    first_ids = [r.boxes.id for r in results if r.boxes.id is not None][0]
    assert set(first_ids.tolist()) <= {1.0, 2.0}


def test_register_tracker_resets_on_a_new_video_unless_persist():
    frames = [("a.mp4", detections(d)) for d in walk(6)] + [
        ("b.mp4", detections(d + [[0, 300, 0, 300, 0]])) for d in walk(6)
    ]
    fresh, kept = StandInModel(), StandInModel()
    register_tracker(fresh, "sort", minimum_consecutive_frames=1)
    register_tracker(kept, "sort", persist=True, minimum_consecutive_frames=1)
    assert sorted(list(fresh.predict(frames))[-1].boxes.id.tolist()) == [1.0, 2.0]
    assert sorted(list(kept.predict(frames))[-1].boxes.id.tolist()) == [3.0, 4.0]


def test_register_tracker_refuses_bad_trackers_at_once():
    with pytest.raises(ValueError, match="unknown tracker"):
        register_tracker(StandInModel(), "bytetrak")
    with pytest.raises(ValueError, match="params"):
        register_tracker(StandInModel(), lambda: BYTETracker(), lost_track_buffer=3)
    with pytest.raises(ValueError, match="keeptrack tracker"):
        UltralyticsAdapter(object())

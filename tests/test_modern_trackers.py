"""OC-SORT, BoT-SORT, camera motion compensation, class-aware and oriented-box tracking."""

import warnings

import cv2
import numpy as np
import pytest
import supervision as sv
from scenes import walking

from keeptrack import (
    BoTSORTTracker,
    ByteTrackTracker,
    DeepSORTTracker,
    OCSORTTracker,
    SORTTracker,
)
from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.geometry import xywhr_to_corners, xywhr_to_xyxy, xyxy_to_tlwh, xyxy_to_xywh
from keeptrack.io.sequence import load_sequence
from keeptrack.motion.cmc import CMC, FrameOrBoxMotion, PrecomputedWarps, make_cmc, save_warps
from keeptrack.trackers.registry import create_tracker, tracker_class

ALL = [SORTTracker, ByteTrackTracker, OCSORTTracker, BoTSORTTracker]
MOTION_ONLY = {"cmc": None}


def make(cls, **kwargs):
    """Trackers without CMC unless asked (BoT-SORT enables it by default)."""
    if cls is SORTTracker:
        kwargs.setdefault("minimum_consecutive_frames", 1)
    return cls(**{**MOTION_ONLY, **kwargs})


def ids_per_object(outputs, object_of_row):
    """``{object: set of track ids it received}`` over a sequence."""
    seen: dict[int, set[int]] = {}
    for out in outputs:
        for row in out:
            obj = object_of_row(row)
            seen.setdefault(obj, set()).add(int(row[-4]))
    return seen


# --- registry and contract ------------------------------------------------------------------
def test_registered_and_exported():
    assert tracker_class("ocsort") is OCSORTTracker
    assert tracker_class("botsort") is BoTSORTTracker
    assert isinstance(create_tracker("botsort").cmc, FrameOrBoxMotion)


@pytest.mark.parametrize("cls", [OCSORTTracker, BoTSORTTracker])
def test_ids_stable_and_state_dict_resume(cls, mot17_dir):
    tracker = make(cls)
    for frame in range(20):
        out = tracker.update(walking(frame))
    assert sorted(out[:, 4].tolist()) == [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(out[:, :4], walking(19)[:, :4])

    frames = load_sequence(mot17_dir / "MOT17-09-FRCNN", gt=False).frames[:120]
    straight = make(cls)
    expected = [straight.update(d) for d in frames]
    first = make(cls)
    for d in frames[:60]:
        first.update(d)
    resumed = make(cls)
    resumed.load_state_dict(first.state_dict())
    for d, want in zip(frames[60:], expected[60:], strict=True):
        np.testing.assert_array_equal(resumed.update(d), want)


def test_ocsort_refinds_an_occluded_object_with_its_id():
    """ORU/OCR: an object hidden for 12 frames comes back under the same identity."""
    tracker = make(OCSORTTracker)
    ids: dict[int, set[int]] = {}
    for frame in range(40):
        hidden = 15 <= frame < 27
        out = tracker.update(walking(frame)[1:] if hidden else walking(frame))
        for row in out:
            ids.setdefault(int(row[7]) + hidden, set()).add(int(row[4]))
    assert len(ids) == 3 and all(len(v) == 1 for v in ids.values()), ids


def test_ocsort_direction_term_breaks_a_tie_toward_the_heading():
    """OCM: with equal IoU to two detections, the one ahead of the motion wins."""
    tracker = make(OCSORTTracker, minimum_consecutive_frames=1)
    for frame in range(6):
        tracker.update(np.array([[10 * frame, 0, 10 * frame + 40, 40, 0.9]]))
    # Two candidates at the same IoU with the prediction: ahead (x + 10) and behind (x - 10).
    predicted = np.array(tracker.tracks[0].xyxy)
    ahead, behind = predicted + [10, 0, 10, 0], predicted + [-10, 0, -10, 0]
    out = tracker.update(np.column_stack([np.stack([behind, ahead]), [0.9, 0.9]]))
    assert out[out[:, 4] == 1, 7].tolist() == [1.0]


# --- BoT-SORT with an appearance model --------------------------------------------------------
class MeanColour:
    """A trivial appearance model: the mean BGR colour of each box, L2-normalised."""

    dim = 3

    def embed(self, frame, boxes, masks=None):
        out = []
        for x1, y1, x2, y2 in np.asarray(boxes, dtype=int):
            patch = frame[max(y1, 0) : max(y2, 1), max(x1, 0) : max(x2, 1)].reshape(-1, 3)
            out.append(patch.mean(axis=0) + 1e-3)
        out = np.asarray(out, dtype=np.float32).reshape(-1, 3)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_botsort_reid_keeps_features_as_ema():
    tracker = BoTSORTTracker(reid_model=MeanColour(), cmc=None)
    frame = np.zeros((480, 640, 3), np.uint8)
    for frame_id in range(8):
        dets = walking(frame_id)
        frame[:] = 0
        for (x1, y1, x2, y2), colour in zip(
            dets[:, :4].astype(int), [(255, 0, 0), (0, 255, 0), (0, 0, 255)], strict=True
        ):
            frame[y1:y2, x1:x2] = colour
        out = tracker.update(dets, frame=frame)
    assert sorted(out[:, 4].tolist()) == [1.0, 2.0, 3.0]
    features = tracker._table["feature"]
    np.testing.assert_allclose(np.linalg.norm(features, axis=1), 1.0, rtol=1e-4)
    assert tracker.get_params()["reid_model"] is tracker.reid_model


@pytest.mark.parametrize(("promote", "embedded"), [(0.8, [0.9, 0.55]), (None, [0.9])])
def test_botsort_reid_embeds_the_boxes_that_can_be_promoted(promote, embedded):
    """A promoted box joins the appearance-fused first association, so it needs a feature."""
    seen = []

    class Recorder(MeanColour):
        def embed(self, frame, boxes, masks=None):
            seen.extend(np.asarray(boxes)[:, 0].tolist())
            return super().embed(frame, boxes, masks)

    tracker = BoTSORTTracker(reid_model=Recorder(), cmc=None, promote_iou_threshold=promote)
    dets = np.array([[10.0, 10, 60, 110, 0.9], [200, 10, 250, 110, 0.55], [400, 10, 450, 110, 0.3]])
    tracker.update(dets, frame=np.full((480, 640, 3), 80, np.uint8))
    assert seen == [dets[dets[:, 4] == score, 0][0] for score in embedded]


# --- camera motion compensation ----------------------------------------------------------------
def textured(shape=(480, 640), seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (shape[0] // 8, shape[1] // 8), dtype=np.uint8)
    return cv2.GaussianBlur(
        cv2.resize(small, shape[::-1], interpolation=cv2.INTER_CUBIC), (5, 5), 0
    )


@pytest.mark.parametrize("method", ["sparse_flow", "orb", "sift", "ecc"])
def test_cmc_recovers_a_known_shift(method):
    image = textured()
    shift = np.float64([[1, 0, 6.0], [0, 1, -4.0]])
    moved = cv2.warpAffine(image, shift, image.shape[::-1], borderMode=cv2.BORDER_REFLECT)
    cmc = CMC(method)
    np.testing.assert_array_equal(cmc.estimate(image, np.empty((0, 4))), np.eye(2, 3))
    warp = cmc.estimate(moved, np.array([[100, 100, 200, 300]]))
    np.testing.assert_allclose(warp, shift, atol=0.6)


def test_cmc_bad_input_resets_or_falls_back_with_one_warning():
    cmc = CMC("sparse_flow")
    cmc.estimate(textured(), np.empty((0, 4)))
    with pytest.warns(RuntimeWarning, match="frame size changed"):
        warp = cmc.estimate(textured((240, 320)), np.empty((0, 4)))
    np.testing.assert_array_equal(warp, np.eye(2, 3))
    blank = np.zeros((240, 320), np.uint8)
    with pytest.warns(RuntimeWarning, match="too few features"):
        cmc.estimate(blank, np.empty((0, 4)))
        cmc.estimate(blank, np.empty((0, 4)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(cmc.estimate(blank, np.empty((0, 4))), np.eye(2, 3))
    with pytest.raises(ValueError, match="cmc method"):
        CMC("surf")
    with pytest.raises(ValueError, match="cmc must be"):
        make_cmc(3)


def test_precomputed_warps_replay_from_files(tmp_path):
    warps = np.tile(np.eye(2, 3), (3, 1, 1))
    warps[:, 0, 2] = [1.0, 2.0, 3.0]
    save_warps(tmp_path / "w.txt", warps)
    np.save(tmp_path / "w.npy", warps)
    for source in (tmp_path / "w.txt", tmp_path / "w.npy"):
        replay = PrecomputedWarps(source)
        got = [replay.estimate(None, np.empty((0, 4))) for _ in range(4)]
        np.testing.assert_allclose(got[:3], warps)
        np.testing.assert_array_equal(got[3], np.eye(2, 3))
    tracker = SORTTracker(cmc=PrecomputedWarps(warps))
    tracker.update(walking(0), frame=np.zeros((8, 8, 3), np.uint8))
    before = np.array([t.xyxy for t in tracker.tracks])
    tracker.update(np.empty((0, 5)), frame=np.zeros((8, 8, 3), np.uint8))
    moved = np.array([t.xyxy for t in tracker.tracks]) - before
    np.testing.assert_allclose(moved[:, [0, 2]], 2.0, atol=1e-6)  # second warp (+2 px)


def test_cmc_improves_tracking_on_a_moving_camera(mot15_dir):
    """ETH-Sunnyday is filmed walking: CMC must lower IDSW and raise HOTA."""
    root = mot15_dir / "ETH-Sunnyday"
    files = sorted((root / "img1").glob("*.jpg"))
    seq = load_sequence(root, det_name="det_frcnn_sort.txt")
    dets, gt = seq.frames, seq.gt
    cmc = CMC("sparse_flow")
    warps = np.stack(
        [cmc.estimate(cv2.imread(str(f)), d[:, :4]) for f, d in zip(files, dets, strict=True)]
    )

    def score(camera):
        tracker = SORTTracker(frame_rate=14, cmc=camera)
        rows = []
        for index, d in enumerate(dets, start=1):
            out = tracker.update(d, frame=np.zeros((1, 1), np.uint8))
            rows.append(
                np.column_stack(
                    [np.full(len(out), index), out[:, 4], xyxy_to_tlwh(out[:, :4]), out[:, 5]]
                )
            )
        result = {"ETH": np.concatenate(rows)}
        return evaluate_mot_sequences({"ETH": gt}, result, {"ETH": len(files)}, "plain")[COMBINED]

    without, with_cmc = score(None), score(PrecomputedWarps(warps))
    assert with_cmc["IDSW"] < without["IDSW"]
    assert np.mean(with_cmc["HOTA"]) > np.mean(without["HOTA"]) + 0.005


@pytest.mark.parametrize("cmc", ["sparse_flow", "orb", "ecc", "auto"])
def test_state_dict_resumes_pixel_cmc_identically(mot15_dir, cmc):
    """A stream stopped mid-pan resumes exactly: the saved state holds the CMC's last frame."""
    root = mot15_dir / "ETH-Sunnyday"
    files = sorted((root / "img1").glob("*.jpg"))[:24]
    dets = load_sequence(root, det_name="det_frcnn_sort.txt", gt=False).frames[:24]
    images = [cv2.imread(str(f)) for f in files]
    straight = BoTSORTTracker(frame_rate=14, cmc=cmc)
    expected = [straight.update(d, frame=im) for d, im in zip(dets, images, strict=True)]
    first = BoTSORTTracker(frame_rate=14, cmc=cmc)
    for d, im in zip(dets[:12], images[:12], strict=True):
        first.update(d, frame=im)
    resumed = BoTSORTTracker(frame_rate=14, cmc=cmc)
    resumed.load_state_dict(first.state_dict())
    for d, im, want in zip(dets[12:], images[12:], expected[12:], strict=True):
        np.testing.assert_array_equal(resumed.update(d, frame=im), want)
    # Outputs are detection boxes; the Kalman states show whether a warp was skipped.
    np.testing.assert_array_equal(
        resumed.state_dict()["tracks"]["mean"], straight.state_dict()["tracks"]["mean"]
    )


def test_state_dict_resumes_precomputed_warps_where_they_stopped():
    warps = np.tile(np.eye(2, 3), (4, 1, 1))
    warps[:, 0, 2] = [1.0, 2.0, 3.0, 4.0]
    first = SORTTracker(cmc=PrecomputedWarps(warps), minimum_consecutive_frames=1)
    for frame in range(2):
        first.update(walking(frame), frame=np.zeros((8, 8, 3), np.uint8))
    resumed = SORTTracker(cmc=PrecomputedWarps(warps), minimum_consecutive_frames=1)
    resumed.load_state_dict(first.state_dict())
    assert resumed.cmc.estimate(None, np.empty((0, 4)))[0, 2] == 3.0


def test_promoted_box_refinds_a_lost_track():
    """After a missed frame, a weaker (0.55) box on the lost track's prediction re-finds it at
    once; BYTE's low-score stage only serves tracks that are still tracked."""

    def scene(frame: int) -> np.ndarray:
        if frame == 10:
            return np.empty((0, 5))
        score = 0.55 if 11 <= frame <= 13 else 0.9
        return np.array([[100.0 + 4 * frame, 100, 150.0 + 4 * frame, 220, score]])

    reported = {}
    for promote in (None, 0.8):
        tracker = BoTSORTTracker(cmc=None, promote_iou_threshold=promote)
        reported[promote] = [tracker.update(scene(f))[:, 4].tolist() for f in range(16)]
    assert reported[None][11:14] == [[], [], []]
    assert reported[0.8][11:14] == [[1.0], [1.0], [1.0]]
    assert reported[None][14:] == reported[0.8][14:] == [[1.0], [1.0]]


def test_promotion_needs_the_score_and_the_overlap():
    tracker = BoTSORTTracker(cmc=None, promote_score_threshold=0.6)
    for frame in range(10):
        tracker.update(np.array([[100.0 + 4 * frame, 100, 150.0 + 4 * frame, 220, 0.9]]))
    tracker.update(np.empty((0, 5)))
    assert len(tracker.update(np.array([[144.0, 100, 194, 220, 0.55]]))) == 0
    with pytest.raises(ValueError, match="promote_iou_threshold"):
        BoTSORTTracker(promote_iou_threshold=1.5)


# --- MOT17 accuracy floors -------------------------------------------------------------------
@pytest.mark.parametrize(("cls", "floor"), [(OCSORTTracker, 0.674), (BoTSORTTracker, 0.690)])
def test_mot17_val_half_floor(score_mot17, cls, floor):
    """Measured 67.5 (OC-SORT) and 69.1 (BoT-SORT) HOTA; Roboflow: 66.4 and 67.8."""
    assert np.mean(score_mot17(lambda fps: cls(frame_rate=fps))["HOTA"]) >= floor


# --- class-aware association -------------------------------------------------------------------
def crossing(frame: int) -> np.ndarray:
    """A person walking right and a car driving left, overlapping heavily mid-sequence."""
    person = [100 + 6 * frame, 100, 160 + 6 * frame, 260, 0.9, 0]
    car = [400 - 6 * frame, 110, 480 - 6 * frame, 250, 0.9, 2]
    return np.array([person, car], dtype=float)


@pytest.mark.parametrize("cls", ALL)
def test_class_aware_crossing_keeps_both_identities(cls):
    tracker = make(cls, class_aware=True)
    outputs = []
    for frame in range(50):
        dets = crossing(frame)
        if 22 <= frame <= 26:  # the car hides the person: only the car is detected
            dets = dets[1:]
        outputs.append(tracker.update(dets))
    ids = ids_per_object(outputs, lambda row: int(row[6]))
    assert ids[0] and ids[2] and not ids[0] & ids[2]
    assert all(len(v) == 1 for v in ids.values()), ids
    assert {t.class_id for t in tracker.tracks} <= {0, 2}


@pytest.mark.parametrize("class_aware", [False, True])
def test_deepsort_class_gate(class_aware):
    """A car replaces a person in the same place with the same look: only the class gate tells
    DeepSORT they are different objects."""
    tracker = DeepSORTTracker(minimum_consecutive_frames=1, class_aware=class_aware)
    look = np.ones((1, 8), dtype=np.float32) / np.sqrt(8)
    ids = {}
    for frame in range(20):
        cls = 0 if frame < 10 else 2
        box = [[100 + frame, 100, 160 + frame, 260, 0.9, cls]]
        out = tracker.update(np.array(box, dtype=float), embeddings=look)
        ids.setdefault(cls, set()).update(out[:, 4].astype(int).tolist())
    assert (ids[0] == ids[2]) is not class_aware, ids


# --- oriented boxes -----------------------------------------------------------------------------
def spinning(frame: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Three elongated objects translating and spinning; Ultralytics-style angles in [0, pi/2).

    Returns ``(N, 7)`` detections and the object index of each row (rows shuffled).
    """
    base = np.array([[100, 100, 90, 30, 0.0], [250, 130, 80, 25, 1.0], [400, 100, 100, 35, -1.0]])
    boxes = base.copy()
    boxes[:, 0] += 3 * frame
    boxes[:, 1] += 2 * frame
    boxes[:, 4] += np.array([0.08, -0.06, 0.1]) * frame
    boxes[:, :2] += rng.normal(0, 0.5, (3, 2))
    boxes[:, 4] += rng.normal(0, 0.01, 3)
    # Detector convention: angle in [0, pi/2), swapping width and height to get there.
    quarter = np.floor(boxes[:, 4] / (np.pi / 2))
    boxes[:, 4] -= quarter * np.pi / 2
    odd = np.mod(quarter, 2) == 1
    boxes[odd, 2], boxes[odd, 3] = boxes[odd, 3], boxes[odd, 2].copy()
    order = rng.permutation(3)
    dets = np.column_stack([boxes[order], np.full(3, 0.9), np.zeros(3)])
    return dets, order


@pytest.mark.parametrize("cls", ALL)
def test_spinning_objects_tracked_without_id_switch(cls):
    rng = np.random.default_rng(1)
    tracker = make(cls)
    seen: dict[int, set[int]] = {}
    for frame in range(80):
        dets, order = spinning(frame, rng)
        out = tracker.update(dets, box_format="xywhr")
        assert out.shape[1] == 9
        assert np.all((out[:, 4] > -np.pi) & (out[:, 4] <= np.pi))
        for row in out:
            seen.setdefault(int(order[int(row[8])]), set()).add(int(row[5]))
    assert len(seen) == 3 and all(len(v) == 1 for v in seen.values()), seen


def test_oriented_supervision_detections_round_trip():
    tracker = make(OCSORTTracker, minimum_consecutive_frames=1)
    rng = np.random.default_rng(0)
    for frame in range(5):
        dets, _ = spinning(frame, rng)
        detections = sv.Detections(
            xyxy=xywhr_to_xyxy(dets[:, :5]),
            confidence=dets[:, 5],
            class_id=dets[:, 6].astype(int),
            data={"xyxyxyxy": xywhr_to_corners(dets[:, :5])},
        )
        out = tracker.update(detections)
    assert isinstance(out, sv.Detections) and len(out) == 3
    assert sorted(out.tracker_id.tolist()) == [1, 2, 3]
    assert out.data["xyxyxyxy"].shape == (3, 4, 2)


@pytest.mark.parametrize("cls", ALL)
def test_axis_aligned_oriented_input_matches_the_xyxy_path(cls, mot17_dir):
    frames = load_sequence(mot17_dir / "MOT17-04-FRCNN", gt=False).frames[:150]
    plain, oriented = make(cls), make(cls)
    for d in frames:
        xywhr = np.column_stack(
            [xyxy_to_xywh(d[:, :4]), np.zeros(len(d)), d[:, 4], np.zeros(len(d))]
        )
        a, b = plain.update(d), oriented.update(xywhr, box_format="xywhr")
        np.testing.assert_array_equal(a[:, 4:], b[:, 5:])  # ids, scores, classes, rows
    with pytest.raises(ValueError, match="oriented"):
        oriented.update(frames[0])


def test_angles_outside_the_range_are_normalised():
    tracker = make(SORTTracker)
    out = tracker.update(np.array([[50, 50, 40, 10, 3 * np.pi + 0.1, 0.9, 0]]), box_format="xywhr")
    np.testing.assert_allclose(out[0, 4], -np.pi + 0.1)

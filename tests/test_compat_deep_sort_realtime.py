"""keeptrack.compat.deep_sort_realtime.DeepSort, called as deep_sort_realtime users call it."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from keeptrack.compat.deep_sort_realtime import DeepSort, Track

FRAME = np.random.default_rng(0).integers(0, 256, (200, 300, 3), dtype=np.uint8)
EMB = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def detections(k: int) -> list:
    return [([10 + 3 * k, 20, 40, 80], 0.9, "person"), ([200 - 3 * k, 30, 40, 80], 0.7, "car")]


def test_update_tracks_call_by_call():
    tracker = DeepSort(max_age=5, n_init=2, embedder=None)
    tracks = tracker.update_tracks(detections(0), embeds=EMB)
    assert [t.track_id for t in tracks] == ["1", "2"]
    assert all(t.is_tentative() and not t.is_confirmed() for t in tracks)
    tracks = tracker.update_tracks(detections(1), embeds=EMB)
    first = tracks[0]
    assert first.is_confirmed() and first.hits == 2 and first.age == 2
    assert first.time_since_update == 0
    assert first.get_det_class() == "person" and first.get_det_conf() == pytest.approx(0.9)
    np.testing.assert_allclose(first.to_ltwh(orig=True), [13, 20, 40, 80])
    np.testing.assert_allclose(first.to_ltrb(orig=True), [13, 20, 53, 100])
    np.testing.assert_allclose(first.to_tlbr(orig=True), first.to_ltrb(orig=True))
    assert np.abs(first.to_ltrb() - first.to_ltrb(orig=True)).max() < 3  # Kalman estimate
    np.testing.assert_allclose(first.get_feature(), EMB[0])

    tracks = tracker.update_tracks([], embeds=[])
    missed = tracks[0]
    assert missed.time_since_update == 1 and missed.get_det_conf() is None
    assert missed.to_ltrb(orig=True, orig_strict=True) is None
    assert missed.to_ltrb(orig=True) is not None  # falls back to the Kalman box

    tracker.delete_all_tracks()
    assert first.is_deleted() and tracker.tracks == []
    assert tracker.update_tracks(detections(0), embeds=EMB)[0].track_id == "1"  # as dsr


def test_tentative_track_missing_a_frame_is_deleted():
    tracker = DeepSort(n_init=3, embedder=None)
    (track, _) = tracker.update_tracks(detections(0), embeds=EMB)
    tracker.update_tracks([], embeds=[])
    assert track.is_deleted() and tracker.tracks == []


def test_ids_are_date_prefixed_and_reset_daily():
    day = datetime.date(2024, 5, 1)
    tracker = DeepSort(n_init=1, embedder=None, today=day)
    tracks = tracker.update_tracks(detections(0), embeds=EMB, today=day)
    assert [t.track_id for t in tracks] == ["2024-05-01_1", "2024-05-01_2"]
    tracker.update_tracks(detections(1), embeds=EMB, today=day)
    tracker.delete_all_tracks()
    tracks = tracker.update_tracks(detections(0), embeds=EMB, today=datetime.date(2024, 5, 2))
    assert [t.track_id for t in tracks] == ["2024-05-02_1", "2024-05-02_2"]


def test_others_and_instance_masks_round_trip():
    masks = np.zeros((2, *FRAME.shape[:2]), dtype=bool)
    masks[0, 25:95, 15:45] = True
    masks[1, 35:105, 200:235] = True
    tracker = DeepSort(n_init=1, embedder="histogram")
    tracks = tracker.update_tracks(
        detections(0), frame=FRAME, others=[{"n": 0}, {"n": 1}], instance_masks=list(masks)
    )
    assert [t.get_det_supplementary() for t in tracks] == [{"n": 0}, {"n": 1}]
    np.testing.assert_array_equal(tracks[1].get_instance_mask(), masks[1])
    unmasked = DeepSort(n_init=1, embedder="histogram").update_tracks(detections(0), frame=FRAME)
    blanked = np.where(masks[0][..., None], FRAME, 0).astype(np.uint8)
    on_blank = DeepSort(n_init=1, embedder="histogram").update_tracks(detections(0), frame=blanked)
    np.testing.assert_allclose(tracks[0].get_feature(), on_blank[0].get_feature(), atol=1e-6)
    assert not np.allclose(tracks[0].get_feature(), unmasked[0].get_feature())


def test_polygons():
    polygons = [[10, 20, 50, 20, 50, 100, 10, 100], [200, 30, 240, 30, 220, 110]]
    tracker = DeepSort(n_init=1, embedder="histogram", polygon=True)
    tracks = tracker.update_tracks([polygons, ["a", "b"], [0.9, 0.8]], frame=FRAME)
    # cv2.boundingRect, as deep_sort_realtime: the last pixel column and row are inside
    np.testing.assert_allclose(tracks[0].to_ltwh(orig=True), [10, 20, 41, 81])
    np.testing.assert_allclose(tracks[1].to_ltrb(orig=True), [200, 30, 241, 111])
    assert tracks[1].get_det_supplementary() == polygons[1]
    assert tracks[1].get_det_class() == "b"


def test_nms_and_override_track_class():
    class MyTrack(Track):
        pass

    tracker = DeepSort(n_init=1, nms_max_overlap=0.5, embedder=None, override_track_class=MyTrack)
    dets = [([10, 20, 40, 80], 0.6, 0), ([11, 20, 40, 80], 0.9, 0)]
    tracks = tracker.update_tracks(dets, embeds=EMB, others=["low", "high"])
    assert len(tracks) == 1 and isinstance(tracks[0], MyTrack)
    assert tracks[0].get_det_supplementary() == "high"


def test_mobilenet_embedder_runs_on_a_frame():
    tracker = DeepSort(n_init=1)  # deep_sort_realtime's default embedder
    tracks = tracker.update_tracks(detections(0), frame=FRAME)
    assert tracks[0].get_feature().shape == (1280,)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.update_tracks([([1, 2, 3], 0.9, 0)], frame=FRAME), r"raw_detections\[0\]"),
        (lambda t: t.update_tracks([(1, 2)], frame=FRAME), r"raw_detections\[0\]"),
        (lambda t: t.update_tracks([([1, 2, 3, 4], 0.9, 0, 1)], frame=FRAME), "raw_detections"),
        (lambda t: t.update_tracks(detections(0), embeds=EMB[:1]), "embeds"),
        (lambda t: t.update_tracks(detections(0), embeds=[[1, np.nan], [0, 1]]), "NaN"),
        (lambda t: t.update_tracks(detections(0)), "frame is required"),
        (lambda t: t.update_tracks(detections(0), frame=FRAME[..., 0]), "frame"),
        (lambda t: t.update_tracks(detections(0), frame=FRAME.astype(float)), "uint8"),
        (lambda t: t.update_tracks(detections(0), frame=FRAME, others=[1]), "others"),
        (
            lambda t: t.update_tracks(
                detections(0), frame=FRAME, instance_masks=[np.ones((5, 5), bool)] * 2
            ),
            "instance_masks",
        ),
    ],
)
def test_bad_input_is_named(call, message):
    tracker = DeepSort(embedder="histogram")
    tracker.update_tracks(detections(0), frame=FRAME)
    with pytest.raises(ValueError, match=message):
        call(tracker)
    assert [(t.track_id, t.age) for t in tracker.tracks] == [("1", 1), ("2", 1)]


def test_bad_options():
    with pytest.raises(ValueError, match="embedder"):
        DeepSort(embedder="resnet")
    with pytest.raises(ValueError, match="nms_max_overlap"):
        DeepSort(nms_max_overlap=2.0, embedder=None)
    with pytest.raises(ValueError, match="osnet_ain_x1_0_msmt17.pt"):
        DeepSort(embedder="torchreid")  # keeptrack never downloads: weights must be given
    with pytest.raises(ValueError, match="clip"):
        DeepSort(embedder="clip_RN50")
    with pytest.raises(ValueError, match="override_track_class"):
        DeepSort(embedder=None, override_track_class=dict)
    with pytest.raises(ValueError, match="nn_budget"):
        DeepSort(embedder=None, nn_budget=0)


# --- the divergences issue 13 listed, each checked against deep_sort_realtime itself ----------
def both(**settings):
    dsr = pytest.importorskip("deep_sort_realtime.deepsort_tracker")
    return DeepSort(embedder=None, **settings), dsr.DeepSort(embedder=None, **settings)


def run(trackers, frames):
    """Feed ``[(raw_detections, embeds), ...]`` to each tracker; the last frame's tracks."""
    out = []
    for tracker in trackers:
        for raw, emb in frames:
            tracks = tracker.update_tracks(raw, embeds=emb)
        out.append([(t.track_id, t.state, t.time_since_update, t.get_det_conf()) for t in tracks])
    return out


def test_delete_all_tracks_restarts_ids_like_dsr():
    trackers = both()
    for tracker in trackers:
        tracker.update_tracks(detections(0), embeds=EMB)
        tracker.delete_all_tracks()
    ours, ref = run(trackers, [(detections(1), EMB)])
    assert ours == ref and ours[0][0] == "1"


@pytest.mark.parametrize("missed", [3, 4, 5])
def test_max_age_boundary_like_dsr(missed):
    box = [([50, 50, 40, 80], 0.9, 0)]
    frames = [(box, [[1.0, 0.0]])] * 4 + [([], [])] * missed + [(box, [[1.0, 0.0]])]
    ours, ref = run(both(max_age=4, n_init=2), frames)
    assert ours == ref
    assert (ours[0][0] == "1") == (missed < 4)  # back after max_age misses: a new track


def test_n_init_1_confirms_on_the_second_frame_like_dsr():
    box = [([50, 50, 40, 80], 0.9, 0)]
    first_ours, first_ref = run(both(n_init=1), [(box, [[1.0, 0.0]])])
    assert first_ours == first_ref and first_ours[0][1] == 1  # tentative
    ours, ref = run(both(n_init=1), [(box, [[1.0, 0.0]])] * 2)
    assert ours == ref and ours[0][1] == 2  # confirmed


def test_nms_is_overlap_over_the_lower_box_like_dsr():
    # IoU 0.33 (kept by IoU-NMS at 0.5) but the small box lies inside the big one
    raw = [([0, 0, 100, 100], 0.9, 0), ([10, 10, 57, 57], 0.8, 0), ([300, 0, 50, 50], 0.95, 0)]
    emb = np.eye(3)
    ours, ref = run(both(n_init=1, nms_max_overlap=0.5), [(raw, emb)])
    assert ours == ref and [t[3] for t in ours] == [0.95, 0.9]  # sorted by score, as dsr


def test_two_tuples_zero_width_and_raw_confidence_like_dsr():
    raw = [([0, 0, 40, 80], 3.7), ([100, 0, 0, 80], 0.5), ([200, 0, 40, 80], 0.4, "x")]
    # deep_sort_realtime drops the zero-width box but not its embedding, so its later boxes get
    # the wrong embeddings; keeptrack drops both. Embeddings that ignore the order agree.
    ours, ref = run(both(), [(raw, [[1.0, 0.0]] * 3)])
    assert ours == ref and [t[3] for t in ours] == [3.7, 0.4]
    tracker = DeepSort(embedder=None)
    tracks = tracker.update_tracks(raw, embeds=[[1, 0], [0, 1], [1, 1]])
    np.testing.assert_allclose(tracks[1].get_feature(), [1, 1])
    assert tracks[0].get_det_class() is None and tracks[1].get_det_class() == "x"


def test_dsr_track_subclass_and_reference_attributes():
    dsr_track = pytest.importorskip("deep_sort_realtime.deep_sort.track")
    calls = []

    class Counting(dsr_track.Track):
        def update(self, kf, detection):
            calls.append(self.track_id)
            super().update(kf, detection)

    tracker = DeepSort(embedder=None, override_track_class=Counting, embedder_model_name="x")
    for k in range(3):
        tracks = tracker.update_tracks(detections(k), embeds=EMB)
    assert all(isinstance(t, Counting) for t in tracks) and calls == ["1", "2"] * 2
    track = tracks[0]
    assert track.mean.shape == (8,) and track.covariance.shape == (8, 8)
    assert track.is_confirmed() and len(track.features) == 1  # the rest went to the gallery
    assert len(tracker.tracker.metric.samples["1"]) == 3
    tracker.update_tracks([], embeds=[])
    assert tracker.tracker.del_tracks_ids == []
    tracker = DeepSort(embedder=None, n_init=3)
    tracker.update_tracks(detections(0), embeds=EMB)
    tracker.update_tracks([], embeds=[])
    assert tracker.tracker.del_tracks_ids == ["1", "2"]

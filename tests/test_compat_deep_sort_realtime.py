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
    assert tracker.update_tracks(detections(0), embeds=EMB)[0].track_id == "3"


def test_tentative_track_missing_a_frame_is_deleted():
    tracker = DeepSort(n_init=3, embedder=None)
    (track, _) = tracker.update_tracks(detections(0), embeds=EMB)
    tracker.update_tracks([], embeds=[])
    assert track.is_deleted() and tracker.tracks == []


def test_ids_are_date_prefixed_and_reset_daily():
    day = datetime.date(2024, 5, 1)
    tracker = DeepSort(n_init=1, embedder=None, today=day)
    tracks = tracker.update_tracks(detections(0), embeds=EMB)
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
    np.testing.assert_allclose(tracks[0].to_ltwh(orig=True), [10, 20, 40, 80])
    np.testing.assert_allclose(tracks[1].to_ltrb(orig=True), [200, 30, 240, 110])
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
    with pytest.raises(ValueError, match=message):
        call(tracker)
    assert tracker.tracker.frame_id == 0


def test_bad_options():
    with pytest.raises(ValueError, match="embedder"):
        DeepSort(embedder="resnet")
    with pytest.raises(ValueError, match="nms_max_overlap"):
        DeepSort(nms_max_overlap=2.0, embedder=None)

"""keeptrack's deep_sort_realtime drop-in against the real deep-sort-realtime 1.3.2.

Both trackers get the same detections (the SORT-paper FRCNN files of PETS09-S2L1 and the three
MOT15 sequences with frames, every score, so there is clutter to suppress and to gate) and the
same embeddings, computed from each box's position with random Fourier features plus noise:
boxes of one person in consecutive frames are near in that space, others far, so the matching
cascade, the appearance gate and the gallery budget all decide matches. Every frame, every live
track must agree: id, state, hits, age, ``time_since_update``, ``get_det_conf()``, the matched
box and the Kalman box.
"""

from __future__ import annotations

import numpy as np
import pytest

dsr = pytest.importorskip("deep_sort_realtime.deepsort_tracker")

from keeptrack.compat.deep_sort_realtime import DeepSort  # noqa: E402

SEQUENCES = ("PETS09-S2L1", "TUD-Stadtmitte", "ETH-Sunnyday", "TUD-Campus")
#: PETS09's first 300 frames: long enough for galleries to outgrow ``nn_budget=100``, short
#: enough for the reference (whose galleries grow by one feature per track and frame) to run fast.
PETS09_FRAMES = 200
SETTINGS = {
    "nn_budget=100": {"nn_budget": 100},
    "max_age=5": {"max_age": 5},
    "n_init=1": {"n_init": 1},
    "nms_max_overlap=0.5": {"nms_max_overlap": 0.5},
    "max_iou_distance=0.5": {"max_iou_distance": 0.5},
    "all of them": {
        "nn_budget": 100,
        "max_age": 5,
        "n_init": 1,
        "nms_max_overlap": 0.5,
        "max_iou_distance": 0.5,
    },
}
_W = np.random.default_rng(0).normal(size=(3, 64))
_B = np.random.default_rng(1).uniform(0, 2 * np.pi, 64)


def frames_of(mot15_dir, name: str, limit: int | None = None) -> list[np.ndarray]:
    """``[left, top, w, h, score]`` rows per frame of a sequence's FRCNN detections."""
    rows = np.loadtxt(mot15_dir / name / "det" / "det_frcnn_sort.txt", delimiter=",", ndmin=2)
    frames = rows[:, 0].astype(int)
    return [rows[frames == f, 2:7] for f in range(1, (limit or frames.max()) + 1)]


def embeddings(dets: np.ndarray, frame: int) -> np.ndarray:
    """Position features (cosine distance ~0.1 for 20 px apart) with per-detection noise."""
    centre = np.column_stack([dets[:, 0] + dets[:, 2] / 2, dets[:, 1] + dets[:, 3] / 2, dets[:, 3]])
    noise = np.random.default_rng(frame).normal(scale=0.1, size=(len(dets), 64))
    return np.cos(centre / 60.0 @ _W + _B) + noise


def state(track) -> tuple:
    return (
        track.track_id,
        track.state,
        track.hits,
        track.age,
        track.time_since_update,
        track.get_det_conf(),
        track.get_det_class(),
    )


def run_both(frames: list[np.ndarray], settings: dict) -> int:
    """Run both trackers frame by frame, asserting equal tracks; returns the matches seen."""
    ours = DeepSort(embedder=None, **settings)
    ref = dsr.DeepSort(embedder=None, **settings)
    matched = 0
    for number, dets in enumerate(frames, start=1):
        raw = [([*d[:4]], d[4], "person") for d in dets]
        emb = embeddings(dets, number)
        a = ours.update_tracks(raw, embeds=emb)
        b = ref.update_tracks([(list(r[0]), r[1], r[2]) for r in raw], embeds=list(emb))
        assert [state(t) for t in a] == [state(t) for t in b], f"frame {number}"
        for x, y in zip(a, b, strict=True):
            np.testing.assert_allclose(x.to_ltrb(), y.to_ltrb(), rtol=0, atol=1e-4)
            same = x.to_ltrb(orig=True, orig_strict=True), y.to_ltrb(orig=True, orig_strict=True)
            assert (same[0] is None) == (same[1] is None)
            if same[0] is not None:
                np.testing.assert_array_equal(*same)
                matched += 1
        assert sorted(ours.tracker.del_tracks_ids) == sorted(ref.tracker.del_tracks_ids)
    return matched


@pytest.mark.parametrize("name", SEQUENCES)
def test_defaults_match_deep_sort_realtime(mot15_dir, name):
    frames = frames_of(mot15_dir, name, PETS09_FRAMES if name == "PETS09-S2L1" else None)
    assert run_both(frames, {}) > len(frames)  # tracks are matched, not just created


@pytest.mark.parametrize("setting", SETTINGS)
def test_settings_match_deep_sort_realtime(mot15_dir, setting):
    frames = frames_of(mot15_dir, "PETS09-S2L1", PETS09_FRAMES)
    assert run_both(frames, SETTINGS[setting]) > len(frames)

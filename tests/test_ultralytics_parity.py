"""keeptrack's Ultralytics drop-in against the real ``ultralytics`` 8.4.190, run as a black box.

Both get the same MOT17 val-half detections (every score, as ``float32`` ``Boxes``-like
results) through Ultralytics' shipped ``bytetrack.yaml`` and ``botsort.yaml`` (``gmc_method:
none``, ``with_reid: False``). Every frame, the returned rows must agree: same rows in the same
order, ids, scores, classes and detection indices equal, Kalman boxes within 1e-4 px.

The drop-ins set keeptrack's ``reference_lost_pool``: Ultralytics, like ByteTrack's reference
code, lets a track be re-found in the frame after its buffer ran out while its id is already on
the removed list, and then deletes it the moment it is lost again (three times in MOT17-02's
val half, once in MOT17-04's). Without that rule the rows part at MOT17-02's frame 164.

BYTETracker runs on all seven sequences; BOTSORT on two (all seven with
``KEEPTRACK_ULTRALYTICS_PARITY=full``), to keep the suite fast.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from ultralytics_blackbox import Results, default_args, installed, results_of, ultralytics_trackers

from keeptrack.compat.ultralytics import BOTSORT, BYTETracker

if not installed():
    pytest.skip(
        "ultralytics is not installed (pip install --no-deps ultralytics==8.4.190)",
        allow_module_level=True,
    )

#: Sequences per tracker (``None``: all seven). Ultralytics runs at about 200 frames/s, so the
#: default suite runs BOTSORT, whose BYTE is BYTETracker's with an XYWH Kalman filter, on two
#: sequences; ``KEEPTRACK_ULTRALYTICS_PARITY=full`` runs it on all seven.
SEQUENCES = {
    "bytetrack": None,
    "botsort": None
    if os.environ.get("KEEPTRACK_ULTRALYTICS_PARITY") == "full"
    else ("MOT17-05-FRCNN", "MOT17-09-FRCNN"),
}
CONFIGS = {
    "bytetrack": (BYTETracker, "BYTETracker", {}),
    "botsort": (BOTSORT, "BOTSORT", {"gmc_method": "none"}),
}


def differ(ours: np.ndarray, theirs: np.ndarray) -> bool:
    """Whether two frames' rows differ beyond 1e-4 px (anything but the box exactly)."""
    if ours.shape != theirs.shape:
        return True
    return not (
        np.array_equal(ours[:, 4:], theirs[:, 4:])
        and np.abs(ours[:, :4] - theirs[:, :4]).max(initial=0.0) <= 1e-4
    )


def run_both(name: str, frames: list[np.ndarray]) -> dict[str, int | None]:
    """Both trackers through one sequence: frames and the first frame whose rows differ."""
    compat, reference, overrides = CONFIGS[name]
    ultralytics = ultralytics_trackers()
    ours = compat(dict(overrides))
    theirs = getattr(ultralytics, reference)(default_args(ultralytics, name, **overrides))
    differs = None
    for number, dets in enumerate(frames, start=1):
        results = results_of(dets)
        a, b = ours.update(results), theirs.update(results)
        assert a.dtype == b.dtype == np.float32
        if differs is None and differ(a, b):
            differs = number
    return {"frames": len(frames), "differs": differs}


@pytest.fixture(scope="module")
def parity(mot17_val_half) -> dict[tuple[str, str], dict]:
    return {
        (tracker, seq): run_both(tracker, frames)
        for tracker, names in SEQUENCES.items()
        for seq, (_, frames, _, _) in mot17_val_half.items()
        if names is None or seq in names
    }


def runs_of(parity: dict, tracker: str) -> dict[str, dict]:
    return {seq: run for (t, seq), run in parity.items() if t == tracker}


@pytest.mark.parametrize("tracker", CONFIGS)
def test_rows_are_identical_on_every_frame(parity, mot17_val_half, tracker):
    runs = runs_of(parity, tracker)
    names = SEQUENCES[tracker] or tuple(mot17_val_half)
    assert sorted(runs) == sorted(names)
    assert {seq: run["differs"] for seq, run in runs.items()} == dict.fromkeys(names)
    assert sum(run["frames"] for run in runs.values()) == sum(
        mot17_val_half[seq][3] for seq in names
    )


@pytest.mark.parametrize("name", CONFIGS)
def test_defaults_are_those_of_the_shipped_yaml_files(name):
    """keeptrack's documented defaults are Ultralytics' files, which the drop-ins also read."""
    ultralytics = ultralytics_trackers()
    compat = CONFIGS[name][0]
    shipped = dict(vars(default_args(ultralytics, name)))
    path = ultralytics.check_yaml(f"{name}.yaml")
    assert compat().args == shipped == compat(path).args


def test_oriented_rows_match_on_boxes_apart():
    """OBB results: the same (N, 9) rows while boxes do not overlap (where they do, keeptrack's
    exact rotated IoU and Ultralytics' ProbIoU differ, so matches can too)."""
    ultralytics = ultralytics_trackers()
    ours = BYTETracker()
    theirs = ultralytics.BYTETracker(default_args(ultralytics, "bytetrack"))
    rng = np.random.default_rng(0)
    for k in range(30):
        boxes = np.array(
            [
                [100 + 3 * k, 80, 60, 20, 0.05 * k],
                [300, 200 + 2 * k, 40, 30, -0.03 * k],
                [600 - 4 * k, 400, 80, 50, 0.5],
            ]
        )
        boxes[:, :2] += rng.normal(scale=0.5, size=(3, 2))
        keep = np.array([True, k % 7 != 3, True])  # the second box is missed now and then
        results = Results(
            np.array([0.9, 0.6, 0.3], np.float32)[keep],
            boxes[keep].astype(np.float32),
            np.array([0.0, 1.0, 2.0], np.float32)[keep],
        )
        a, b = ours.update(results), theirs.update(results)
        assert a.shape[1] == b.shape[1] == 9
        assert not differ(a, b), k
    assert sorted(a[:, 5].tolist()) == [1.0, 2.0, 3.0]

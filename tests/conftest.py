"""Shared fixtures: where the real evaluation data lives (``$KEEPTRACK_DATA`` or
``../shared/data`` beside the repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from keeptrack.benchmark import bytetrack_output_filter, track_detections
from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.io.sequence import load_sequence, resolve_cmc

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("KEEPTRACK_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """Root of the shared evaluation data; tests needing it fail loudly if it is missing."""
    if not DATA_DIR.is_dir():
        pytest.fail(f"evaluation data not found at {DATA_DIR}; set KEEPTRACK_DATA")
    return DATA_DIR


@pytest.fixture(scope="session")
def mot17_dir(data_dir: Path) -> Path:
    return data_dir / "mot17-train"


@pytest.fixture(scope="session")
def mot15_dir(data_dir: Path) -> Path:
    return data_dir / "mot15-train"


@pytest.fixture(scope="session")
def mot17_val_half(mot17_dir: Path) -> dict[str, tuple]:
    """The val-half protocol of the data README: ``{name: (fps, frames, gt, length)}``."""
    sequences = {}
    for folder in sorted(mot17_dir.glob("MOT17-*")):
        seq = load_sequence(folder, "val-half")
        sequences[seq.name] = (seq.frame_rate, seq.frames, seq.gt, seq.length)
    assert len(sequences) == 7
    return sequences


@pytest.fixture(scope="session")
def score_mot17(mot17_val_half):
    """``score(make_tracker)``: combined MOT17 val-half metrics of ``make_tracker(frame_rate)``,
    with ByteTrack's output filter, as benchmarks/mot17.py scores it."""

    def score(make_tracker) -> dict[str, float]:
        results = {
            name: bytetrack_output_filter(track_detections(make_tracker(fps), frames)[0])
            for name, (fps, frames, _, _) in mot17_val_half.items()
        }
        return evaluate_mot_sequences(
            {name: seq[2] for name, seq in mot17_val_half.items()},
            results,
            {name: seq[3] for name, seq in mot17_val_half.items()},
            benchmark="mot17",
        )[COMBINED]

    return score


def sequences_hota(tracker_class, folders, split, mot17, **kwargs) -> float:
    """Combined HOTA of ``tracker_class(frame_rate=..., **kwargs)`` over sequence ``folders``
    cut to ``split`` (with ByteTrack's output filter for ``mot17``; ``cmc="file"`` replays
    each sequence's ``gmc.txt``), as benchmarks/accuracy.py scores them; the accuracy-floor
    tests share it."""
    gts, results, lengths = {}, {}, {}
    for folder in folders:
        seq = load_sequence(folder, split)
        tracker = tracker_class(frame_rate=seq.frame_rate, **resolve_cmc(kwargs, seq))
        rows = track_detections(tracker, seq.frames)[0]
        results[seq.name] = bytetrack_output_filter(rows) if mot17 else rows
        gts[seq.name], lengths[seq.name] = seq.gt, seq.length
    return float(evaluate_mot_sequences(gts, results, lengths)[COMBINED]["HOTA"])

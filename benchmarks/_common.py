"""Helpers shared by the benchmark scripts: where the evaluation data lives, and MOT17 loading."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keeptrack.io.mot import (
    detections_by_frame,
    read_mot_file,
    read_seqinfo,
    shift_frames,
    val_half_start,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """``$KEEPTRACK_DATA``, else ``../shared/data`` beside the repository."""
    return Path(os.environ.get("KEEPTRACK_DATA", REPO_ROOT.parent / "shared" / "data"))


@dataclass
class Sequence:
    """One MOTChallenge sequence cut to the evaluated frames."""

    name: str
    frame_rate: float
    frames: list[np.ndarray]
    gt: np.ndarray

    @property
    def length(self) -> int:
        return len(self.frames)


def load_sequence(folder: Path, val_half: bool = True, det_name: str = "det.txt") -> Sequence:
    """Detections per frame and GT of a sequence, with the val-half cut applied if asked."""
    info = read_seqinfo(folder)
    det = read_mot_file(folder / "det" / det_name)
    gt = read_mot_file(folder / "gt" / "gt.txt")
    start = val_half_start(info.length) if val_half else 0
    det, gt = shift_frames(det, start), shift_frames(gt, start)
    frames = detections_by_frame(det, info.length - start)
    return Sequence(info.name, info.frame_rate, frames, gt)


def mot17_sequences(val_half: bool = True) -> list[Sequence]:
    """The seven MOT17 train sequences of the shared data set."""
    root = data_dir() / "mot17-train"
    return [load_sequence(p, val_half) for p in sorted(root.glob("MOT17-*")) if p.is_dir()]


def mot17_train_half() -> list[Sequence]:
    """Frames ``1..h`` of each sequence: what the val-half protocol does not score.

    The YOLOX-X detector was trained on these frames, so its scores there are inflated, but the
    identities, occlusions and camera motion are real. Tracker changes are selected here and
    only then confirmed on the val half, so the val half stays a held-out test.
    """
    halves = []
    for seq in mot17_sequences(val_half=False):
        h = val_half_start(seq.length)
        gt = seq.gt[seq.gt[:, 0] <= h]
        halves.append(Sequence(seq.name, seq.frame_rate, seq.frames[:h], gt))
    return halves

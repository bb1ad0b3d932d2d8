"""Helpers shared by the benchmark scripts: where the evaluation data lives, and its data sets.

Sequences come from :func:`keeptrack.io.sequence.load_sequence`, the one loader that tests,
benchmarks and the CLI share.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from keeptrack.io.sequence import Sequence, Split, load_sequence, load_sequences

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Data set name -> folder under the data directory.
DATASETS = {"mot17": "mot17-train", "dancetrack": "dancetrack-dev"}


def data_dir() -> Path:
    """``$KEEPTRACK_DATA``, else ``../shared/data`` beside the repository."""
    return Path(os.environ.get("KEEPTRACK_DATA", REPO_ROOT.parent / "shared" / "data"))


def dataset_sequences(name: str, split: Split | str = Split.all) -> list[Sequence]:
    """Every sequence of the shared data set ``name`` (``mot17`` or ``dancetrack``), cut to
    ``split``."""
    return load_sequences(data_dir() / DATASETS[name], split)


def mot17_sequences(split: Split | str = Split.val_half) -> list[Sequence]:
    """The seven MOT17 train sequences, cut to ``split`` (the val half by default).

    The train half (frames ``1..h``) is what the detector was trained on, so its scores there
    are inflated, but the identities, occlusions and camera motion are real: tracker changes
    are selected there and only then confirmed on the val half, which stays a held-out test.
    """
    return dataset_sequences("mot17", split)


def synthetic_stream(frames: int, seed: int = 0):
    """Yield ``((N, 5) detections, (N,) object ids)``: about 20 objects alive at a time, each
    living ~150 frames, entering, crossing and leaving (the soak and memory benchmarks)."""
    rng = np.random.default_rng(seed)
    objects = np.empty((0, 6))  # x, y, vx, vy, w, h
    ids = np.empty(0, dtype=np.int64)
    next_id = 0
    for _ in range(frames):
        born = rng.poisson(20 / 150)
        if born:
            start = np.column_stack(
                [
                    rng.uniform(0, 1800, born),
                    rng.uniform(0, 900, born),
                    rng.normal(0, 4, born),
                    rng.normal(0, 2, born),
                    rng.uniform(30, 90, born),
                    rng.uniform(80, 200, born),
                ]
            )
            objects = np.vstack([objects, start])
            ids = np.concatenate([ids, np.arange(next_id, next_id + born)])
            next_id += born
        objects[:, :2] += objects[:, 2:4]
        inside = (objects[:, 0] > -100) & (objects[:, 0] < 2000) & (objects[:, 1] > -100)
        inside &= (objects[:, 1] < 1100) & (rng.uniform(size=len(objects)) > 1 / 150)
        objects, ids = objects[inside], ids[inside]
        seen = rng.uniform(size=len(objects)) > 0.1
        boxes = np.column_stack([objects[seen, :2], objects[seen, :2] + objects[seen, 4:6]])
        yield np.column_stack([boxes, rng.uniform(0.3, 1.0, len(boxes))]), ids[seen]


@dataclass
class FramedSequence:
    """Detections per frame, GT and the frame source of one MOT15 sequence (the appearance
    benchmarks embed crops from the real frames)."""

    name: str
    folder: Path
    frame_rate: float
    detections: list[np.ndarray]
    gt: np.ndarray

    @property
    def length(self) -> int:
        return len(self.detections)

    def frames(self) -> Iterator[np.ndarray]:
        """BGR frames 1..length, from ``img1/`` or PETS09's ``video/vtest.avi``."""
        from keeptrack.io.sources import open_source

        video = self.folder / "video" / "vtest.avi"
        with open_source(video if video.is_file() else self.folder) as source:
            yield from itertools.islice(source, self.length)


def framed_sequence(folder: Path, det_name: str = "det.txt") -> FramedSequence:
    """``folder`` through the one sequence loader, with its frame source."""
    seq = load_sequence(folder, det_name=det_name)
    return FramedSequence(seq.name, folder, seq.frame_rate, seq.frames, seq.gt)

"""Helpers shared by the benchmark scripts: where the evaluation data lives, and its data sets.

Sequences come from :func:`keeptrack.io.sequence.load_sequence`, the one loader that tests,
benchmarks and the CLI share.
"""

from __future__ import annotations

import os
from pathlib import Path

from keeptrack.io.sequence import Sequence, Split, load_sequences

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

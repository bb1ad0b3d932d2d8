"""Golden hashes of every tracker's outputs on MOT17 (val half) and dancetrack-dev.

They guard refactors of the tracking code: an axis-aligned output that changes must be
explained, then re-recorded with ``python tests/test_golden_outputs.py --write`` (run from the
repository root). Each hash covers every output row of every frame of every sequence of one
data set, for one tracker configuration.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

DATA_DIR = Path(
    os.environ.get("KEEPTRACK_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data")
)
GOLDEN = Path(__file__).with_name("golden") / "outputs.json"
DATASETS = ("mot17-val-half", "dancetrack-dev")


class _GivenEmbeddings:
    """The appearance model of the ``-appearance`` configurations: never run, since those get
    :func:`_embeddings` each frame, but it sets the feature size."""

    dim = 32

    def embed(self, frame, boxes, masks=None):
        raise AssertionError("golden runs give embeddings=")


GIVEN_EMBEDDINGS = _GivenEmbeddings()
#: name -> (registry name, constructor arguments); every tracker, class-aware, box CMC.
CONFIGS = {
    "sort": ("sort", {"track_activation_threshold": 0.6}),
    "sort-class-aware": ("sort", {"track_activation_threshold": 0.6, "class_aware": True}),
    "sort-boxes": ("sort", {"track_activation_threshold": 0.6, "cmc": "boxes"}),
    "bytetrack": ("bytetrack", {}),
    "bytetrack-class-aware": ("bytetrack", {"class_aware": True}),
    "bytetrack-boxes": ("bytetrack", {"cmc": "boxes"}),
    "ocsort": ("ocsort", {}),
    "ocsort-class-aware": ("ocsort", {"class_aware": True}),
    "ocsort-boxes": ("ocsort", {"cmc": "boxes"}),
    "botsort": ("botsort", {}),
    "botsort-class-aware": ("botsort", {"class_aware": True}),
    "botsort-no-cmc": ("botsort", {"cmc": None}),
    "hybridsort": ("hybridsort", {}),
    "hybridsort-class-aware": ("hybridsort", {"class_aware": True}),
    "hybridsort-boxes": ("hybridsort", {"cmc": "boxes"}),
    "boosttrack": ("boosttrack", {}),
    "boosttrack-class-aware": ("boosttrack", {"class_aware": True}),
    "boosttrack-paper": ("boosttrack", {"duo_boost": True, "minimum_iou_threshold": 0.3}),
    "boosttrack-appearance": ("boosttrack", {"reid_model": GIVEN_EMBEDDINGS}),
    "deepocsort": ("deepocsort", {}),
    "deepocsort-appearance": ("deepocsort", {"reid_model": GIVEN_EMBEDDINGS, "cmc": "boxes"}),
    "deepsort": ("deepsort", {}),
    "deepsort-class-aware": ("deepsort", {"class_aware": True}),
    "deepsort-boxes": ("deepsort", {"cmc": "boxes"}),
}


def _with_classes(frames: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """Two classes drawn at random per detection, for the class-aware configurations."""
    rng = np.random.default_rng(seed)
    return [np.column_stack([f[:, :5], rng.integers(0, 2, len(f))]) for f in frames]


def _embeddings(frames: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """Deterministic 32-d unit embeddings: the box's position, size and a little noise, so
    appearance agrees with motion most of the time and the cascade really decides."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((4, 32))
    out = []
    for f in frames:
        boxes = f[:, :4] / 500.0
        e = np.sin(boxes @ basis) + 0.3 * rng.standard_normal((len(f), 32))
        out.append(e / np.linalg.norm(e, axis=1, keepdims=True))
    return out


def sequence_outputs(name: str, kwargs: dict, fps: float, frames: list[np.ndarray]) -> bytes:
    """Every output row of one sequence, as bytes (frame number prepended)."""
    from keeptrack.trackers.registry import create_tracker

    tracker = create_tracker(name, frame_rate=fps, **kwargs)
    if kwargs.get("class_aware"):
        frames = _with_classes(frames, len(frames))
    given = name == "deepsort" or "reid_model" in kwargs
    embeddings = _embeddings(frames, len(frames)) if given else None
    chunks = []
    for index, detections in enumerate(frames, start=1):
        if embeddings is None:
            out = tracker.update(detections)
        else:
            out = tracker.update(detections, embeddings=embeddings[index - 1])
        chunks.append(np.column_stack([np.full(len(out), index), out]).astype(np.float64))
    return np.concatenate(chunks).tobytes()


def dataset_hash(config: str, sequences) -> str:
    name, kwargs = CONFIGS[config]
    digest = hashlib.sha256()
    for seq in sequences:
        digest.update(sequence_outputs(name, kwargs, seq.frame_rate, seq.frames))
    return digest.hexdigest()


def load_dataset(dataset: str):
    """The sequences of one data set, cut as its benchmark scores them."""
    from keeptrack.io.sequence import load_sequences

    if dataset == "mot17-val-half":
        return load_sequences(DATA_DIR / "mot17-train", "val-half")
    return load_sequences(DATA_DIR / dataset)


@pytest.fixture(scope="module", params=DATASETS)
def dataset(request):
    return request.param, load_dataset(request.param)


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_outputs_match_golden_hashes(dataset, config):
    name, sequences = dataset
    expected = json.loads(GOLDEN.read_text())[name][config]
    assert dataset_hash(config, sequences) == expected, f"{config} on {name} changed"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    hashes = {
        dataset: {config: dataset_hash(config, load_dataset(dataset)) for config in CONFIGS}
        for dataset in DATASETS
    }
    GOLDEN.write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")
    print(json.dumps(hashes, indent=1))

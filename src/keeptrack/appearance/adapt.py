"""Self-supervised adaptation: learn what tells *these* objects apart from the video itself.

A generic descriptor (the offline ImageNet MobileNetV2) was trained to name object classes, not
to tell two pedestrians apart, so most of its 1280 dimensions describe what every person in the
scene shares. No person-ReID weights can be installed offline, but the video holds its own
labels:

- a confident **motion tracklet** (a track that motion alone followed for many frames) shows one
  object under changing pose and light: its detections are **positives**;
- two tracklets **alive in the same frame** are two different objects: they are **negatives**.

:func:`fit_head` trains a small linear head on the frozen base features with a supervised
contrastive loss (Khosla et al., NeurIPS 2020) over batches built exactly from those pairs: each
batch is the tracklets alive in one frame, a few detections of each drawn from anywhere in its
life. A person split into two tracklets that never co-occur is never pushed apart from herself,
which is why negatives come only from co-occurrence. No label is used, and nothing assumes the
objects are people.

The head is a centring of the base features followed by a ``D x 128`` projection, saved as a
small ``.npz`` file (:meth:`AppearanceHead.save`), so one camera's adaptation can serve its later
videos. :class:`AdaptedModel` wraps a base model and a head into an appearance model any tracker
accepts; :func:`motion_tracklets` runs the motion-only pass that collects the tracklets.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from keeptrack.appearance._lazy import require
from keeptrack.appearance.model import AppearanceModel, l2_normalize

#: Shortest motion tracklet trusted as one object (frames).
MIN_LENGTH = 8
#: Detections drawn per tracklet in a batch.
PER_TRACKLET = 4
#: Softmax temperature of the contrastive loss. With 600 steps, 0.2 gave fewer identity switches
#: than 0.1 on the MOT15 sequences of ``benchmarks/adapt.py`` (113-124 against 127-134 over two
#: seeds): a softer loss leaves room for the pose changes between distant frames.
TEMPERATURE = 0.2
#: Cosine distance the learnt same/different boundary is mapped to: 1.5x DeepSORT's gate (the
#: paper's and deep_sort_realtime's ``max_cosine_distance`` of 0.2), so that gate sits on the
#: same-object side and admits few different objects; about ByteTrack's re-ID gate (0.18).
#: Measured on the MOT15 sequences of ``benchmarks/adapt.py`` (DeepSORT with deep_sort_realtime's
#: defaults, temperature 0.1, 300 steps): 0.2 -> 134 identity switches, 0.3 -> 127, 0.4 -> 129,
#: 0.6 -> 152; no calibration -> 145.
BOUNDARY = 0.3


@dataclass
class AppearanceHead:
    """Centre, project to ``dim - 1``, L2-normalise, append a constant, L2-normalise.

    The constant ``offset`` calibrates distances without changing their order: appending ``c``
    to unit vectors divides every cosine distance by ``1 + c^2``. It is chosen so that the
    distance separating a video's positives from its negatives lands on :data:`BOUNDARY`, near
    where trackers' appearance gates are set.

    Attributes:
        mean: ``(D,)`` mean base feature of the video (what every object shares).
        weight: ``(D, dim - 1)`` projection.
        offset: The appended constant.
    """

    mean: np.ndarray
    weight: np.ndarray
    offset: float = 0.0

    @property
    def dim(self) -> int:
        """Length of an adapted embedding."""
        return int(self.weight.shape[1]) + 1

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """Adapted unit embeddings of ``(N, D)`` base features; all-zero rows stay zero (no
        appearance, e.g. a box outside the frame)."""
        features = np.asarray(features, dtype=np.float32)
        if features.ndim != 2 or features.shape[1] != len(self.mean):
            raise ValueError(
                f"features must be (N, {len(self.mean)}) base features; got {features.shape}"
            )
        seen = np.any(features, axis=1, keepdims=True)
        unit = l2_normalize((features - self.mean) @ self.weight)
        constant = np.full((len(unit), 1), self.offset, dtype=np.float32)
        return l2_normalize(np.where(seen, np.hstack([unit, constant]), 0.0))

    def save(self, path: str | os.PathLike) -> None:
        """Write the head as a ``.npz`` file (about 0.7 MB for 1280 -> 128)."""
        np.savez(Path(path), mean=self.mean, weight=self.weight, offset=self.offset)

    @classmethod
    def load(cls, path: str | os.PathLike) -> AppearanceHead:
        """Read a head written by :meth:`save`.

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            ValueError: If the file is not a head.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"path: appearance head file not found: {path}")
        with np.load(path) as data:
            if {"mean", "weight"} - set(data.files):
                raise ValueError(f"path: {path.name} is not an appearance head (mean, weight)")
            offset = float(data["offset"]) if "offset" in data.files else 0.0
            return cls(data["mean"].astype(np.float32), data["weight"].astype(np.float32), offset)


class AdaptedModel:
    """A base appearance model followed by an adapted head: a drop-in ``reid_model``.

    Args:
        base: Any appearance model (``dim`` and ``embed``).
        head: The head trained on ``base``'s features.
    """

    def __init__(self, base: AppearanceModel, head: AppearanceHead) -> None:
        self.base = base
        self.head = head

    @property
    def dim(self) -> int:
        """Length of an adapted embedding."""
        return self.head.dim

    def embed(
        self, frame: np.ndarray, boxes: np.ndarray, masks: np.ndarray | None = None
    ) -> np.ndarray:
        """Adapted embeddings of ``boxes`` in ``frame`` (see ``ReIDModel.embed``)."""
        return self.head(self.base.embed(frame, boxes, masks))


def motion_tracklets(
    tracker: Any, detections: Sequence[np.ndarray], min_length: int = MIN_LENGTH
) -> list[np.ndarray]:
    """Run a motion-only tracker and return its confident tracklets.

    Args:
        tracker: A fresh keeptrack tracker (``update(array)`` returning ``det_index`` in column
            7), e.g. ``SORTTracker()``.
        detections: Per-frame ``(N, 5|6)`` detection arrays.
        min_length: Shortest tracklet kept, in frames.

    Returns:
        One ``(L, 2)`` array ``[frame_index, detection_index]`` per tracklet (0-based frames).
    """
    pairs: dict[int, list[tuple[int, int]]] = {}
    for frame, dets in enumerate(detections):
        out = tracker.update(dets)
        for track_id, det in zip(out[:, 4].astype(int), out[:, 7].astype(int), strict=True):
            pairs.setdefault(int(track_id), []).append((frame, int(det)))
    return [np.array(p, dtype=np.int64) for p in pairs.values() if len(p) >= min_length]


def fit_head(
    features: Sequence[np.ndarray],
    tracklets: Iterable[np.ndarray],
    dim: int = 128,
    steps: int = 600,
    learning_rate: float = 1e-3,
    seed: int = 0,
) -> AppearanceHead:
    """Train a head on one video's tracklets (contrastive; see the module doc).

    Args:
        features: Per-frame ``(N_f, D)`` base features of every detection.
        tracklets: ``(L, 2)`` ``[frame_index, detection_index]`` arrays, one per tracklet.
        dim: Length of the adapted embedding.
        steps: Optimiser steps (one batch = the tracklets alive in one frame).
        learning_rate: Adam learning rate.
        seed: Seeds the batch sampling and the initial projection.

    Raises:
        ValueError: If no frame has two tracklets alive (nothing tells objects apart).
        ImportError: If torch is missing (names the extra).
    """
    torch = require("torch", "torch")
    tracklets = list(tracklets)
    samples = [np.stack([features[f][d] for f, d in t]).astype(np.float32) for t in tracklets]
    alive = _co_occurring(tracklets)
    if not alive:
        raise ValueError("tracklets: no frame has two confident tracklets; nothing to contrast")
    every = np.concatenate(samples)
    mean = every.mean(axis=0)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    weight = torch.nn.Parameter(
        torch.randn(every.shape[1], dim - 1, generator=generator) / np.sqrt(every.shape[1])
    )
    optimiser = torch.optim.Adam([weight], lr=learning_rate)
    centred = torch.from_numpy(every - mean)
    starts = np.cumsum([0] + [len(s) for s in samples])
    # The matrices are small (a batch is tens of rows): one thread avoids thread start-up and
    # contention costs that made training ten times slower on 2 shared cores.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for _ in range(steps):
            group = alive[rng.integers(len(alive))]
            sizes = starts[group + 1] - starts[group]
            rows = starts[group, None] + (rng.random((len(group), PER_TRACKLET)) * sizes[:, None])
            batch = centred[torch.from_numpy(rows.astype(np.int64).ravel())]
            labels = torch.arange(len(group)).repeat_interleave(PER_TRACKLET)
            loss = _supervised_contrastive(torch, batch @ weight, labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    finally:
        torch.set_num_threads(threads)
    head = AppearanceHead(mean.astype(np.float32), weight.detach().numpy().astype(np.float32))
    head.offset = _calibration(head, samples, tracklets, alive, rng)
    return head


def _calibration(
    head: AppearanceHead,
    samples: list[np.ndarray],
    tracklets: list[np.ndarray],
    alive: list[np.ndarray],
    rng: np.random.Generator,
    pairs: int = 4000,
) -> float:
    """The offset that puts the positive/negative boundary at :data:`BOUNDARY`.

    Positives: two detections of one tracklet at least ``MIN_LENGTH`` frames apart (the
    appearance change an occlusion brings). Negatives: detections of two tracklets alive in the
    same frame. The boundary is where the share of positives above it equals the share of
    negatives below it; a boundary already below the gate needs no offset.
    """
    embedded = [head(s) for s in samples]
    positive = []
    for t, tracklet in enumerate(tracklets):
        a, b = rng.integers(len(tracklet), size=(2, pairs // len(tracklets) + 1))
        far = np.abs(tracklet[a, 0] - tracklet[b, 0]) >= MIN_LENGTH
        positive.append(1 - np.sum(embedded[t][a[far]] * embedded[t][b[far]], axis=1))
    frames = [alive[i] for i in rng.integers(len(alive), size=pairs)]
    pair = np.array([rng.choice(group, size=2, replace=False) for group in frames])
    first = np.stack([embedded[t][rng.integers(len(embedded[t]))] for t in pair[:, 0]])
    second = np.stack([embedded[u][rng.integers(len(embedded[u]))] for u in pair[:, 1]])
    negative = 1 - np.sum(first * second, axis=1)
    distances = np.concatenate(positive)
    if len(distances) == 0:
        return 0.0
    grid = np.linspace(0, 2, 401)
    miss = 1 - np.searchsorted(np.sort(distances), grid, side="right") / len(distances)
    confuse = np.searchsorted(np.sort(negative), grid, side="right") / len(negative)
    boundary = float(grid[np.argmin(np.abs(miss - confuse))])
    return float(np.sqrt(max(boundary / BOUNDARY - 1.0, 0.0)))


def _co_occurring(tracklets: list[np.ndarray]) -> list[np.ndarray]:
    """For every frame with at least two tracklets alive, the indices of those tracklets."""
    by_frame: dict[int, list[int]] = {}
    for index, tracklet in enumerate(tracklets):
        for frame in range(int(tracklet[0, 0]), int(tracklet[-1, 0]) + 1):
            by_frame.setdefault(frame, []).append(index)
    return [np.array(group) for _, group in sorted(by_frame.items()) if len(group) >= 2]


def _supervised_contrastive(torch: Any, projected: Any, labels: Any) -> Any:
    """SupCon loss: each sample's positives (same label) against the whole batch."""
    z = torch.nn.functional.normalize(projected, dim=1)
    logits = z @ z.T / TEMPERATURE
    eye = torch.eye(len(z), dtype=torch.bool)
    logits = logits.masked_fill(eye, -1e9)
    positive = (labels[:, None] == labels[None, :]) & ~eye
    log_prob = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -(log_prob * positive).sum(1).div(positive.sum(1)).mean()


__all__ = ["AdaptedModel", "AppearanceHead", "fit_head", "motion_tracklets"]

"""Per-track appearance memory: DeepSORT's gallery of recent features and BoT-SORT's EMA.

DeepSORT compares a detection with *every* stored feature of a track and keeps the nearest one,
so a track that was briefly occluded or seen from another side still matches its best view; the
gallery is bounded by ``nn_budget`` to keep that comparison cheap. BoT-SORT instead keeps one
exponential moving average per track, which smooths noise at the cost of forgetting old views.
"""

from __future__ import annotations

import numpy as np

from keeptrack.appearance.model import l2_normalize

METRICS = ("cosine", "euclidean")


def appearance_distance(a: np.ndarray, b: np.ndarray, metric: str = "cosine") -> np.ndarray:
    """Pairwise distances between unit-length feature rows ``a`` (M, D) and ``b`` (N, D).

    Args:
        a: Feature rows of unit length (or zero: no appearance).
        b: Feature rows of unit length (or zero).
        metric: ``"cosine"`` (``1 - a.b``, in [0, 2]) or ``"euclidean"`` (``|a - b|``, in
            [0, 2] for unit vectors; DeepSORT's alternative metric).
    """
    similarity = np.asarray(a, dtype=np.float32) @ np.asarray(b, dtype=np.float32).T
    if metric == "cosine":
        return np.clip(1.0 - similarity, 0.0, 2.0).astype(np.float64)
    if metric == "euclidean":
        sq_a = np.sum(np.square(a), axis=1)[:, None]
        sq_b = np.sum(np.square(b), axis=1)[None, :]
        return np.sqrt(np.clip(sq_a + sq_b - 2.0 * similarity, 0.0, None)).astype(np.float64)
    raise ValueError(f"metric must be one of {METRICS}; got {metric!r}")


def ema_update(smooth: np.ndarray, new: np.ndarray, momentum: float | np.ndarray) -> np.ndarray:
    """BoT-SORT's feature EMA, ``momentum * smooth + (1 - momentum) * new``, renormalised
    (``momentum`` one number, or one per row as ``(N, 1)``).

    Rows of ``smooth`` that are all zero (no feature yet) take ``new`` as is.
    """
    fresh = ~np.any(smooth, axis=1, keepdims=True)
    mixed = np.where(fresh, new, momentum * smooth + (1.0 - momentum) * new)
    return l2_normalize(mixed)


def confidence_momentum(scores: np.ndarray, threshold: float, base: float) -> np.ndarray:
    """Deep OC-SORT's dynamic appearance: EMA momentum per detection, ``base`` for a box
    scoring 1 rising to 1 (keep the old feature) for a box scoring ``threshold``.

    A weak box is often occluded, so its crop shows another object as much as its own; the
    more the detector doubts it, the less it may change the track's feature. ``momentum =
    base + (1 - base) * (1 - trust)`` with ``trust = (score - threshold) / (1 - threshold)``
    clipped to ``[0, 1]`` (Maggiolino et al. 2023, eq. 3; BoostTrack uses the same).
    """
    span = max(1.0 - threshold, 1e-12)
    trust = np.clip((np.asarray(scores, dtype=np.float64) - threshold) / span, 0.0, 1.0)
    return base + (1.0 - base) * (1.0 - trust)


class FeatureGallery:
    """The last ``budget`` features of each track, keyed by an internal track key.

    Each track's features live in one ring buffer of ``budget`` rows, so adding a feature is
    one row write, and :meth:`distance` compares every stored feature of every track with the
    frame's detections in one matrix product.

    Args:
        budget: Features kept per track (DeepSORT's ``nn_budget``); unlimited when ``None``.
    """

    def __init__(self, budget: int | None = 100) -> None:
        if budget is not None and int(budget) < 1:
            raise ValueError(f"nn_budget must be >= 1 or None; got {budget}")
        self.budget = None if budget is None else int(budget)
        # key -> [buffer (rows, D), features stored so far]
        self._rings: dict[int, list] = {}

    def __len__(self) -> int:
        return len(self._rings)

    def add(self, keys: np.ndarray, features: np.ndarray) -> None:
        """Append one feature row per key; zero rows (no appearance) are not stored."""
        features = np.asarray(features, dtype=np.float32)
        seen = np.any(features, axis=1)
        for key, feature in zip(np.asarray(keys)[seen].tolist(), features[seen], strict=True):
            ring = self._rings.get(key)
            if ring is None:
                rows = self.budget or 16
                ring = self._rings[key] = [np.empty((rows, len(feature)), np.float32), 0]
            buffer, count = ring
            if self.budget is None and count == len(buffer):
                buffer = ring[0] = np.concatenate([buffer, np.empty_like(buffer)])
            buffer[count % len(buffer)] = feature
            ring[1] = count + 1

    def keep(self, keys: np.ndarray) -> None:
        """Forget every track not in ``keys`` (deleted tracks)."""
        alive = set(np.asarray(keys).tolist())
        self._rings = {k: v for k, v in self._rings.items() if k in alive}

    def _stored(self, key: int) -> np.ndarray | None:
        ring = self._rings.get(key)
        if ring is None:
            return None
        buffer, count = ring
        return buffer[: min(count, len(buffer))]

    def distance(
        self, keys: np.ndarray, features: np.ndarray, metric: str = "cosine"
    ) -> np.ndarray:
        """Smallest distance from each track's gallery to each detection feature, ``(M, N)``.

        A track with an empty gallery, or a detection without a feature, gets ``inf``: there is
        no appearance evidence to match on.
        """
        cost = np.full((len(keys), len(features)), np.inf)
        if len(features) == 0:
            return cost
        rows, stored = [], []
        for row, key in enumerate(np.asarray(keys).tolist()):
            gallery = self._stored(key)
            if gallery is not None:
                rows.append(row)
                stored.append(gallery)
        if stored:
            sizes = np.array([len(g) for g in stored])
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            every = appearance_distance(np.concatenate(stored), features, metric)
            cost[rows] = np.minimum.reduceat(every, starts, axis=0)
        cost[:, ~np.any(features, axis=1)] = np.inf
        return cost

    def state_dict(self) -> dict[int, np.ndarray]:
        """Copies of every track's stored features, oldest first."""
        out = {}
        for key, (buffer, count) in self._rings.items():
            size = min(count, len(buffer))
            out[key] = np.roll(buffer[:size], -(count % len(buffer)) if count > size else 0, 0)
        return out

    def load_state_dict(self, state: dict[int, np.ndarray]) -> None:
        """Restore features saved by :meth:`state_dict`."""
        self._rings = {}
        for key, features in state.items():
            features = np.asarray(features, dtype=np.float32)
            self.add(np.full(len(features), int(key)), features)

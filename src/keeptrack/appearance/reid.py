"""Long-term re-identification: give a track that comes back after an occlusion its old id.

Frame-to-frame association (IoU, Mahalanobis) cannot bridge a gap of a second or more: the
Kalman prediction of a hidden person drifts, the lost-track buffer runs out, and the person who
steps out from behind a pillar starts a new track -- an identity switch. Appearance is the only
cue left, but a generic descriptor (the offline ImageNet MobileNetV2) is too weak to be trusted
on its own. :class:`ReidMemory` therefore keeps, for every identity seen recently, its smoothed
feature, last box and time, and re-identifies a *new* track only when all of these agree:

- **appearance**: distance (cosine / 2, the scale of ByteTrack's ``appearance_threshold``) at
  most ``threshold``;
- **unambiguous**: the best stored identity is clearly nearer than the second best (distance
  ratio below ``ratio``, Lowe's test), so a detection that looks like several people is left
  alone;
- **possible in space and time**: the identity ended before the new track began (one person is
  never in two places), the centres lie within ``MARGIN + SPEED * gap_seconds`` box heights
  (walking pace is about 0.8 body heights a second) and the box heights differ by less than
  ``SIZE_RATIO``.

Matching is a min-cost assignment over the admissible pairs, so two new tracks never take the
same identity.
"""

from __future__ import annotations

import numpy as np

from keeptrack.appearance.gallery import appearance_distance
from keeptrack.association import linear_assignment

#: Centre distance always allowed, in box heights (detector jitter, a step sideways).
MARGIN = 0.5
#: Extra centre distance per second of absence, in box heights (a brisk walk).
SPEED = 1.0
#: Largest ratio between the old and new box heights.
SIZE_RATIO = 1.5

_FIELDS = ("ids", "features", "boxes", "last", "start")


class ReidMemory:
    """Identities seen recently: id, smoothed feature, last box, last and first frame."""

    def __init__(self) -> None:
        self.ids = np.empty(0, np.int64)
        self.features = np.empty((0, 0), np.float32)
        self.boxes = np.empty((0, 4), np.float64)
        self.last = np.empty(0, np.int64)
        self.start = np.empty(0, np.int64)

    def __len__(self) -> int:
        return len(self.ids)

    def remember(
        self,
        ids: np.ndarray,
        features: np.ndarray,
        boxes: np.ndarray,
        frame: int,
        start: np.ndarray,
    ) -> None:
        """Store (or refresh) identities seen in ``frame``; all-zero features are skipped."""
        seen = np.any(features, axis=1)
        ids, features, boxes, start = ids[seen], features[seen], boxes[seen], start[seen]
        if len(ids) == 0:
            return
        old = ~np.isin(self.ids, ids)
        if len(self.features) == 0:
            self.features = np.empty((0, features.shape[1]), np.float32)
        self.ids = np.concatenate([self.ids[old], ids])
        self.features = np.concatenate([self.features[old], features.astype(np.float32)])
        self.boxes = np.concatenate([self.boxes[old], boxes])
        self.last = np.concatenate([self.last[old], np.full(len(ids), frame)])
        self.start = np.concatenate([self.start[old], start])

    def forget(self, keep: np.ndarray) -> None:
        """Keep only the entries where ``keep`` is true."""
        for name in _FIELDS:
            setattr(self, name, getattr(self, name)[keep])

    def match(
        self,
        features: np.ndarray,
        boxes: np.ndarray,
        born: np.ndarray,
        frame: int,
        frame_rate: float,
        exclude: np.ndarray,
        threshold: float,
        ratio: float,
    ) -> np.ndarray:
        """Re-identify new tracks with stored identities.

        Args:
            features: ``(N, D)`` unit features of the new tracks (zero rows never match).
            boxes: ``(N, 4)`` their current ``xyxy`` boxes.
            born: ``(N,)`` frame each new track started in.
            frame: The current frame number.
            frame_rate: Frames per second (turns gaps into seconds for the motion gate).
            exclude: Ids that are still being tracked (never re-used).
            threshold: Largest appearance distance (cosine / 2).
            ratio: Largest ratio between the best and the second-best distance of a new track.

        Returns:
            ``(K, 2)`` ``[new_track_index, memory_index]`` pairs.
        """
        candidates = ~np.isin(self.ids, exclude)
        if len(features) == 0 or not candidates.any() or threshold <= 0:
            return np.empty((0, 2), np.intp)
        appearance = appearance_distance(self.features, features) / 2.0
        appearance[:, ~np.any(features, axis=1)] = np.inf
        appearance[~candidates] = np.inf
        if len(self) > 1:
            nearest = np.sort(appearance, axis=0)
            appearance[:, nearest[0] > ratio * nearest[1]] = np.inf
        old_h = self.boxes[:, 3] - self.boxes[:, 1]
        new_h = boxes[:, 3] - boxes[:, 1]
        old_c = (self.boxes[:, :2] + self.boxes[:, 2:]) / 2.0
        new_c = (boxes[:, :2] + boxes[:, 2:]) / 2.0
        gap = (frame - self.last) / frame_rate
        reach = old_h * (MARGIN + SPEED * gap)
        distance = np.linalg.norm(old_c[:, None] - new_c[None], axis=2)
        heights = np.maximum(old_h[:, None], new_h[None]) / np.maximum(
            np.minimum(old_h[:, None], new_h[None]), 1e-6
        )
        possible = (self.last[:, None] < born[None]) & (distance <= reach[:, None])
        possible &= heights < SIZE_RATIO
        cost = np.where(possible & (appearance <= threshold), appearance, np.inf)
        pairs, _, _ = linear_assignment(cost.T, threshold)
        return pairs

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every stored array."""
        return {name: getattr(self, name).copy() for name in _FIELDS}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore arrays saved by :meth:`state_dict`."""
        for name in _FIELDS:
            if name in state:
                setattr(self, name, np.asarray(state[name]).copy())

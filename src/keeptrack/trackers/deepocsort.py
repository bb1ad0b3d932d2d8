"""Deep OC-SORT: multi-pedestrian tracking by adaptive re-identification (Maggiolino et al.,
ICIP 2023).

OC-SORT (:mod:`keeptrack.trackers.ocsort`) with three additions, which is exactly how it is
built here (a subclass of :class:`~keeptrack.trackers.ocsort.OCSORTTracker`, whose compiled
step takes the appearance matrix):

1. **Camera motion compensation**: before each frame every track, its stored observations and
   its rewind state are moved by the global affine motion of the background (sparse optical
   flow on the frames, the reference's cached BoT-SORT GMC).
2. **Dynamic appearance (DA)**: each track keeps one embedding, an EMA whose momentum is
   ``feature_momentum`` (0.95) for a box scoring 1 and rises to 1 for a box at
   ``high_conf_det_threshold`` (:func:`~keeptrack.appearance.gallery.confidence_momentum`):
   occluded boxes score low and their crops show other people, so they barely change it.
3. **Adaptive weighting (AW)**: in the first (OCM) association the cosine similarity of track
   and box embeddings is subtracted from the cost with weight ``appearance_weight`` plus half
   the gap between the best and second-best similarity of the pair's row and half that of its
   column, each gap capped at ``adaptive_weight_limit``
   (:func:`~keeptrack.stages.costs.adaptive_weights`): a discriminative embedding counts more.

Without an appearance model (``reid_model=None``) it is OC-SORT with camera motion
compensation. The high-score boxes are embedded (the only ones the first association sees).

Paper / reference defaults (``main.py`` and ``ocsort.py`` of the reference) and this
implementation's:

==============================  =========================  ==========  ==============
keeptrack                       reference                  paper       default here
==============================  =========================  ==========  ==============
``high_conf_det_threshold``     ``det_thresh``             0.6         0.6
``minimum_iou_threshold``       ``iou_threshold``          0.3         0.3
``delta_t``                     ``delta_t``                3           1
``inertia``                     ``inertia``                0.2         0.1
``appearance_weight``           ``w_association_emb``      0.75        0.75
``adaptive_weight_limit``       ``aw_param``               0.5         0.5
``feature_momentum``            ``alpha_fixed_emb``        0.95        0.95
``lost_track_buffer``           ``max_age``                30          30
``minimum_consecutive_frames``  ``min_hits``               3           3
``cmc``                         ``cmc_off=False`` (file)   on          ``"sparse_flow"``
==============================  =========================  ==========  ==============

Two defaults differ from the paper's, chosen on the MOT17 train half and dancetrack-dev
(motion only, camera motion from ``gmc.txt``) and confirmed on the MOT17 val half
(BENCHMARKS.md): ``delta_t=1``, keeptrack's OC-SORT default (MOT17 train half HOTA 77.8 ->
77.8, dancetrack-dev 48.1 -> 48.8), and ``inertia=0.1`` (77.8 -> 78.1, 48.8 -> 48.8; 0.05 and
0.15 score the same). Pass ``delta_t=3, inertia=0.2`` for the paper's setting.

``cmc="sparse_flow"`` estimates camera motion on the frames ``update`` gets and does nothing
without them; on a MOTChallenge folder ``cmc="file"`` replays the sequence's ``gmc.txt``, the
same estimate computed on its frames (the reference itself reads such cached files).
The reference replaces OC-SORT's Kalman filter by one on ``[cx, cy, w, h]`` with
size-scaled noise and splits each embedding into a grid of parts; neither is done here
(OC-SORT's filter and one embedding per box). As in keeptrack's OC-SORT, the birth detection
counts as an observation and a track confirmed once is reported again as soon as it is
re-matched.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keeptrack.detections import DetectionArrays
from keeptrack.motion.cmc import CameraMotion
from keeptrack.trackers.ema_appearance import ScoreEMAAppearance
from keeptrack.trackers.ocsort import OCSORTTracker
from keeptrack.validation import check_range


class DeepOCSORTTracker(ScoreEMAAppearance, OCSORTTracker):
    """Deep OC-SORT: OC-SORT with camera motion compensation and, given an appearance model,
    dynamic appearance and adaptive weighting.

    Args:
        lost_track_buffer: Frames (at 30 fps) a track survives without a match (reference:
            ``max_age``).
        frame_rate: Frame rate of the stream; scales ``lost_track_buffer``.
        minimum_consecutive_frames: Consecutive matches before a new track is reported
            (reference: ``min_hits``).
        minimum_iou_threshold: Smallest IoU an accepted match may have, in every stage
            (reference: ``iou_threshold``).
        high_conf_det_threshold: Detections scoring above this are matched first and may start
            tracks (reference: ``det_thresh``).
        delta_t: Frames between the two observations that define a track's direction.
        inertia: Weight of the direction-consistency (OCM) term against IoU.
        use_byte: Also match leftover tracks to low-score boxes (ByteTrack's second stage).
        low_conf_det_threshold: With ``use_byte``, boxes at or below this score are ignored.
        reid_model: Appearance model (``dim`` and ``embed(frame, boxes)``, e.g.
            :class:`keeptrack.appearance.ReIDModel`); ``None`` tracks on motion only.
        feature_extractor: Another name for ``reid_model`` (Roboflow ``trackers``').
        appearance_weight: Base weight of the appearance similarity in the first association
            (reference: ``w_association_emb``).
        adaptive_weight_limit: Cap of each best-to-second similarity gap that adaptive
            weighting adds (halved) to ``appearance_weight`` (reference: ``aw_param``).
        feature_momentum: Weight of the old embedding in each track's EMA for a box scoring 1;
            weaker boxes change it less (reference: ``alpha_fixed_emb``).
        class_aware: Only match detections to tracks of the same class.
        cmc: Camera motion compensation: ``None``, a method name (``"sparse_flow"``, ``"orb"``,
            ``"sift"``, ``"ecc"``, ``"boxes"``, ``"auto"``) or a
            :class:`~keeptrack.motion.cmc.CameraMotion` object. The default, sparse optical
            flow, needs the frames: without them nothing is compensated.
        return_unmatched: Return every detection, not only the tracked ones: rows no
            confirmed track owns get ``tracker_id`` -1 (Roboflow ``trackers``' convention).
    """

    def __init__(
        self,
        lost_track_buffer: int = 30,
        frame_rate: float = 30.0,
        minimum_consecutive_frames: int = 3,
        minimum_iou_threshold: float = 0.3,
        high_conf_det_threshold: float = 0.6,
        delta_t: int = 1,
        inertia: float = 0.1,
        use_byte: bool = False,
        low_conf_det_threshold: float = 0.1,
        reid_model: Any = None,
        feature_extractor: Any = None,
        appearance_weight: float = 0.75,
        adaptive_weight_limit: float = 0.5,
        feature_momentum: float = 0.95,
        class_aware: bool = False,
        cmc: str | CameraMotion | None = "sparse_flow",
        return_unmatched: bool = False,
    ) -> None:
        self._store_appearance(reid_model, feature_extractor, feature_momentum)
        self.appearance_weight = check_range("appearance_weight", appearance_weight, 0)
        self.adaptive_weight_limit = check_range("adaptive_weight_limit", adaptive_weight_limit, 0)
        super().__init__(
            lost_track_buffer=lost_track_buffer,
            frame_rate=frame_rate,
            minimum_consecutive_frames=minimum_consecutive_frames,
            minimum_iou_threshold=minimum_iou_threshold,
            high_conf_det_threshold=high_conf_det_threshold,
            delta_t=delta_t,
            inertia=inertia,
            use_byte=use_byte,
            low_conf_det_threshold=low_conf_det_threshold,
            class_aware=class_aware,
            cmc=cmc,
            return_unmatched=return_unmatched,
        )

    def _extra_columns(self) -> dict[str, tuple[tuple[int, ...], type]]:
        return {**super()._extra_columns(), **self._feature_columns()}

    def _embedded(self, batch: DetectionArrays) -> np.ndarray:
        """The high-score boxes: the only ones the appearance term compares."""
        return np.flatnonzero(batch.confidence > self.high_conf_det_threshold)

    def _trust_threshold(self) -> float:
        return self.high_conf_det_threshold

    def _appearance_columns(self) -> tuple[str, ...]:
        return tuple(self._feature_columns())

    def _appearance_terms(self) -> tuple[np.ndarray, float, float]:
        return self._appearance(), self.appearance_weight, self.adaptive_weight_limit

    def _step(self, detections: DetectionArrays, frame: np.ndarray | None):
        out = super()._step(detections, frame)
        if self.reid_model is not None:
            self._update_features()
        return out

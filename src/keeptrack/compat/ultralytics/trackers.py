"""``BYTETracker`` and ``BOTSORT``: Ultralytics' call shape on keeptrack's trackers (see
:mod:`keeptrack.compat.ultralytics`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from keeptrack.compat.ultralytics.args import (
    BOTSORT_ARGS,
    BYTETRACK_ARGS,
    GMC_METHODS,
    read_args,
    score_thresholds,
    threshold,
    tracker_params,
)
from keeptrack.compat.ultralytics.results import read_results
from keeptrack.compat.ultralytics.rows import detection_rows, ultralytics_rows
from keeptrack.detections import from_detection_matrix
from keeptrack.trackers.bytetrack import ByteTrackTracker
from keeptrack.validation import check_range

#: Columns of :func:`detection_rows`' axis-aligned matrix that keeptrack's array input takes.
_XYXY_SCORE_CLASS = [0, 1, 2, 3, 5, 6]


class _UltralyticsTracker:
    """What ``BYTETracker`` and ``BOTSORT`` share: args, input and output conversion, and
    Ultralytics' order of the output rows."""

    _DEFAULTS: Mapping[str, Any] = BYTETRACK_ARGS

    def __init__(self, args: Any = None, frame_rate: float = 30, **options: Any) -> None:
        self.args = read_args(args, self._DEFAULTS)
        if self.args["tracker_type"] != self._DEFAULTS["tracker_type"]:
            raise ValueError(
                f"tracker_type must be {self._DEFAULTS['tracker_type']!r} for "
                f"{type(self).__name__}; got {self.args['tracker_type']!r}"
            )
        self._options = options
        params = self._params(self.args, check_range("frame_rate", frame_rate, 1e-6))
        known = set(self._tracker_class().parameter_names())
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(
                f"unknown keeptrack option(s) {', '.join(unknown)} for "
                f"{self._tracker_class().__name__}"
            )
        self.tracker: ByteTrackTracker = self._tracker_class()(**{**params, **options})
        self._embeds = getattr(self.tracker, "feature_extractor", None) is not None
        self._needs_frame = self.tracker.cmc is not None or self._embeds
        self._dtype: Any = None  # the scores' dtype the thresholds are set for
        self.reset()

    # --- hooks ------------------------------------------------------------------------------
    @staticmethod
    def _tracker_class() -> type[ByteTrackTracker]:
        raise NotImplementedError

    def _params(self, args: Mapping[str, Any], frame_rate: float) -> dict[str, Any]:
        return tracker_params(args, frame_rate)

    # --- Ultralytics' interface -------------------------------------------------------------
    @property
    def frame_id(self) -> int:
        """Frames seen since the last reset."""
        return self.tracker.frame_id

    @property
    def max_frames_lost(self) -> int:
        """Frames a lost track is kept."""
        return self.tracker.max_time_lost

    def reset(self) -> None:
        """Forget every track and restart ids at 1 (Ultralytics' ``reset``)."""
        self.tracker.reset()
        # Ultralytics' pools are lists in the order tracks entered them, and the rows come out
        # in the order of its tracked pool: each track's rank is when it entered its pool.
        # keeptrack's table lists tracks by id (ids are given at birth, rows keep their order).
        self._ids = np.empty(0, np.int64)
        self._state = np.empty(0, np.int8)
        self._rank = np.empty(0, np.int64)
        self._counter = 0

    def reset_id(self) -> None:
        """Restart track ids at 1, keeping the tracks (Ultralytics' ``reset_id``)."""
        self.tracker._next_id = 1

    def multi_gmc(self, warp: Any) -> None:
        """Move every track by a 2x3 camera-motion warp (previous frame -> this frame), before
        the next :meth:`update`: Ultralytics' ``multi_gmc`` on all tracks at once.

        keeptrack's warp moves centres, velocities and covariances (see
        :meth:`~keeptrack.trackers.base.BaseTracker.apply_camera_motion`); for translations
        that is exactly Ultralytics' ``multi_gmc``.

        Raises:
            ValueError: If ``warp`` is not a finite 2x3 matrix.
        """
        self.tracker.apply_camera_motion(warp)

    def update(
        self, results: Any, img: np.ndarray | None = None, feats: np.ndarray | None = None
    ) -> np.ndarray:
        """Track one frame's detections; Ultralytics' ``update``.

        Args:
            results: Ultralytics ``Boxes`` or ``OBB`` (``.cpu().numpy()``), or any object with
                ``conf``, ``cls`` and ``xywh`` (or ``xywhr`` for oriented boxes) arrays.
            img: The BGR frame; used for camera motion (``gmc_method``) and ignored otherwise.
            feats: Per-detection appearance features ``(N, D)`` (``BOTSORT`` with
                ``with_reid``).

        Returns:
            ``float32`` rows of the activated tracks, in Ultralytics' order: ``(N, 8)``
            ``[x1, y1, x2, y2, track_id, score, cls, idx]``, or ``(N, 9)`` ``[x, y, w, h,
            angle, track_id, score, cls, idx]`` for oriented boxes, where the box is the
            track's Kalman box and ``idx`` the row of ``results`` it matched.

        Raises:
            ValueError: For malformed ``results``, ``img`` or ``feats``; no state changes.
        """
        conf, boxes, cls, oriented = read_results(results)
        self._compare_in(conf.dtype)
        dets = detection_rows(boxes, conf, cls, self.tracker.kalman.model, oriented)
        frame = img if self._needs_frame else None
        if oriented or feats is not None or self._embeds:
            self._update_tracker(dets, frame, feats, oriented)
        else:  # the common case, on the detection matrix as built, without a second check
            self.tracker._track_batch(from_detection_matrix(dets, "results"), frame, None)
        return self._rows(conf, cls, boxes, oriented)

    def _compare_in(self, dtype: np.dtype) -> None:
        """Set the score thresholds for the precision of the scores (``dtype``; see
        :func:`~keeptrack.compat.ultralytics.args.score_thresholds`)."""
        if dtype is self._dtype:
            return
        self._dtype = dtype
        for name, value in score_thresholds(self.args, dtype == np.float32).items():
            setattr(self.tracker, name, value)

    def _update_tracker(self, dets, frame, feats, oriented: bool) -> None:
        """Through the tracker's own ``update``: oriented boxes, and appearance features."""
        box_format = "xywhr" if oriented else None
        if not oriented:
            dets = dets[:, _XYXY_SCORE_CLASS]
        if feats is None:
            self.tracker.update(dets, frame, box_format=box_format)
        elif not self._embeds:
            raise ValueError("feats need BOTSORT(args, reid_model=...) with with_reid: True")
        else:
            self.tracker.update(dets, frame, embeddings=feats, box_format=box_format)

    def _rows(self, conf, cls, boxes, oriented: bool) -> np.ndarray:
        """The output rows, after ranking the tracks that entered a pool this frame."""
        t = self.tracker._table
        s = t.storage
        columns = (s["track_id"], s["state"], s["last_frame"], s["det_index"], s["mean"])
        out, self._ids, self._state, self._rank, self._counter = ultralytics_rows(
            columns,
            len(t),
            self.tracker.frame_id,
            self.tracker.kalman.model,
            self._ids,
            self._state,
            self._rank,
            self._counter,
            conf,
            cls,
            boxes,
            oriented,
        )
        return out


class BYTETracker(_UltralyticsTracker):
    """Drop-in for ``ultralytics.trackers.BYTETracker`` on keeptrack's ByteTrack.

    Args:
        args: Ultralytics tracker args (:data:`BYTETRACK_ARGS`, ``bytetrack.yaml``): a
            namespace, a dict or a path to a YAML file; missing keys take the defaults.
        frame_rate: Frame rate of the stream; ``track_buffer`` counts 30 fps frames (30, as
            Ultralytics' ``model.track`` always passes, keeps Ultralytics 8.4's buffer).
        **options: Any :class:`~keeptrack.trackers.bytetrack.ByteTrackTracker` parameter,
            overriding the mapped args (e.g. ``promote_iou_threshold=0.8``, ``cmc="boxes"``).

    Raises:
        ValueError: For an unknown arg or option, or a value out of range (named).
    """

    @staticmethod
    def _tracker_class() -> type[ByteTrackTracker]:
        from keeptrack.trackers.bytetrack import ByteTrackTracker

        return ByteTrackTracker


class BOTSORT(_UltralyticsTracker):
    """Drop-in for ``ultralytics.trackers.BOTSORT`` on keeptrack's BoT-SORT.

    Args:
        args: Ultralytics tracker args (:data:`BOTSORT_ARGS`, ``botsort.yaml``): a namespace, a
            dict or a path to a YAML file; missing keys take the defaults.
        frame_rate: Frame rate of the stream, as for :class:`BYTETracker`.
        **options: Any :class:`~keeptrack.trackers.botsort.BoTSORTTracker` parameter,
            overriding the mapped args.

    Raises:
        ValueError: For an unknown arg or option, or a value out of range (named).
    """

    _DEFAULTS = BOTSORT_ARGS

    @staticmethod
    def _tracker_class() -> type[ByteTrackTracker]:
        from keeptrack.trackers.botsort import BoTSORTTracker

        return BoTSORTTracker

    def _params(self, args: Mapping[str, Any], frame_rate: float) -> dict[str, Any]:
        method = args["gmc_method"]
        if method not in GMC_METHODS:
            names = ", ".join(str(m) for m in GMC_METHODS)
            raise ValueError(f"gmc_method must be one of {names}; got {method!r}")
        if args["with_reid"] and self._options.get("reid_model") is None:
            raise ValueError(
                "with_reid: True needs an appearance model: BOTSORT(args, reid_model=...) "
                "(e.g. keeptrack.appearance.ReIDModel; Ultralytics' model: auto is not read)"
            )
        return {
            **tracker_params(args, frame_rate),
            "cmc": GMC_METHODS[method],
            "proximity_iou_threshold": 1.0 - threshold(args, "proximity_thresh"),
            "appearance_threshold": 1.0 - threshold(args, "appearance_thresh"),
        }

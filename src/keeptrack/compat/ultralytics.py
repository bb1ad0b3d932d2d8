"""Ultralytics' tracker call shape: ``BYTETracker`` and ``BOTSORT``, the same tracks.

Code written against ``ultralytics.trackers`` keeps working by changing one import::

    from keeptrack.compat.ultralytics import BYTETracker

    tracker = BYTETracker("bytetrack.yaml")  # or a namespace or a dict of its keys
    for result in model.predict(source, stream=True):
        rows = tracker.update(result.boxes.cpu().numpy(), result.orig_img)
        # rows: [x1, y1, x2, y2, track_id, score, cls, idx] per activated track

With Ultralytics' defaults (``gmc_method: none`` for ``BOTSORT``, ``with_reid: False``) the rows
are those of Ultralytics 8.4's own trackers, frame by frame, in the same order, with the same
Kalman boxes (``tests/test_ultralytics_parity.py`` runs both on the MOT17 val half), at tens
of times the speed. Nothing here implements BYTE a second time: the args are mapped onto
:class:`~keeptrack.trackers.bytetrack.ByteTrackTracker` (``BYTETracker``) or
:class:`~keeptrack.trackers.botsort.BoTSORTTracker` (``BOTSORT``), whose options reproduce
Ultralytics' choices, and this module only converts inputs and outputs:

=====================  ================================================  ==========================
Ultralytics arg        keeptrack parameter                               default (bytetrack.yaml)
=====================  ================================================  ==========================
``track_high_thresh``  ``high_conf_det_threshold`` (``>=``, not ``>``)   0.25
``track_low_thresh``   ``low_conf_det_threshold``                        0.1
``new_track_thresh``   ``track_activation_threshold``                    0.25
``track_buffer``       ``lost_track_buffer`` (scaled by ``frame_rate``)  30
``match_thresh``       ``1 - minimum_iou_threshold``                     0.8
``fuse_score``         ``fuse_score``                                    True
``gmc_method``         ``cmc`` (``BOTSORT``; ``sparseOptFlow`` ->        ``sparseOptFlow``
                       ``"sparse_flow"``, ``none`` -> ``None``)
``proximity_thresh``   ``1 - proximity_iou_threshold`` (``BOTSORT``)     0.5
``appearance_thresh``  ``1 - appearance_threshold`` (``BOTSORT``)        0.8
``with_reid``          appearance from ``feats`` (``BOTSORT``)           False
=====================  ================================================  ==========================

The fixed parts of Ultralytics' BYTE are keeptrack options too: ids handed out at birth
(``ids_at_birth=True``), the second association at IoU 0.5 and unconfirmed tracks at 0.3, and
no score promotion. ``BOTSORT`` keeps keeptrack's XYWH Kalman filter, as Ultralytics does.

Where the two differ on purpose: ids count per tracker (as in Ultralytics 8.4; ``reset_id()``
restarts them), ``frame_rate`` scales ``track_buffer`` as ByteTrack does (Ultralytics 8.4 takes
no frame rate, which is ``frame_rate=30`` here), the camera-motion estimators are keeptrack's
own (:mod:`keeptrack.motion.camera`), and oriented boxes are compared with keeptrack's exact
rotated IoU (Ultralytics uses ProbIoU), so OBB tracks can differ. Everything keeptrack's
trackers add is one keyword away: ``BYTETracker(args, promote_iou_threshold=0.8,
cmc="boxes")``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit

from keeptrack.stages.boxes import XYAH
from keeptrack.trackers.base import BaseTracker, frames_from_buffer
from keeptrack.trackers.tracks import LOST, TRACKED
from keeptrack.validation import check_range

#: ``bytetrack.yaml``: Ultralytics' ByteTrack args and their defaults.
BYTETRACK_ARGS: dict[str, Any] = {
    "tracker_type": "bytetrack",
    "track_high_thresh": 0.25,
    "track_low_thresh": 0.1,
    "new_track_thresh": 0.25,
    "track_buffer": 30,
    "match_thresh": 0.8,
    "fuse_score": True,
}
#: ``botsort.yaml``: ByteTrack's args plus BoT-SORT's, with their defaults.
BOTSORT_ARGS: dict[str, Any] = {
    **BYTETRACK_ARGS,
    "tracker_type": "botsort",
    "gmc_method": "sparseOptFlow",
    "proximity_thresh": 0.5,
    "appearance_thresh": 0.8,
    "with_reid": False,
    "model": "auto",
}
#: Ultralytics' ``gmc_method`` names -> keeptrack's ``cmc`` methods.
GMC_METHODS: dict[Any, str | None] = {
    "sparseOptFlow": "sparse_flow",
    "orb": "orb",
    "sift": "sift",
    "ecc": "ecc",
    "none": None,
    None: None,
}
#: The stages of Ultralytics' BYTE that its YAML files do not expose, as keeptrack options.
_FIXED = {
    "second_iou_threshold": 0.5,
    "unconfirmed_iou_threshold": 0.3,
    "minimum_consecutive_frames": 2,
    "promote_iou_threshold": None,
    "ids_at_birth": True,
}


def read_args(args: Any, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Ultralytics tracker args as a dict: from a namespace, a mapping or a YAML file path.

    Keys missing from ``args`` take ``defaults``; keys ``defaults`` does not know are an error,
    so a misspelt threshold is not silently ignored.

    Raises:
        FileNotFoundError: For a path that does not exist.
        ValueError: For unknown keys, or ``args`` of another type.
    """
    if isinstance(args, (str, os.PathLike)):
        import yaml

        path = Path(args)
        if not path.is_file():
            raise FileNotFoundError(f"args: tracker YAML file not found: {path}")
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, Mapping):
            raise ValueError(f"args: {path} must hold a mapping of tracker args")
        given = dict(loaded)
    elif args is None:
        given = {}
    elif isinstance(args, Mapping):
        given = dict(args)
    elif hasattr(args, "__dict__"):
        given = dict(vars(args))
    else:
        raise ValueError(
            "args must be a namespace, a dict or a path to a tracker YAML file; "
            f"got {type(args).__name__}"
        )
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise ValueError(
            f"args: unknown tracker arg(s) {', '.join(unknown)}; known: {', '.join(defaults)}"
        )
    return {**defaults, **given}


def _threshold(args: Mapping[str, Any], name: str) -> float:
    return float(check_range(name, args[name], 0, 1))


def _tracker_params(args: Mapping[str, Any], frame_rate: float) -> dict[str, Any]:
    """keeptrack parameters for the args that ``BYTETracker`` and ``BOTSORT`` share."""
    high = _threshold(args, "track_high_thresh")
    match = _threshold(args, "match_thresh")
    buffer = check_range("track_buffer", args["track_buffer"], 0)
    if not isinstance(args["fuse_score"], (bool, np.bool_)):
        raise ValueError(f"fuse_score must be True or False; got {args['fuse_score']!r}")
    return {
        **_FIXED,
        # Ultralytics re-finds a lost track up to track_buffer + 1 frames after it was last
        # seen; keeptrack's tracker counts the buffer in its own frames (frame_rate 30).
        "frame_rate": 30.0,
        "lost_track_buffer": frames_from_buffer(buffer, frame_rate) + 1,
        # Ultralytics' high boxes score >= track_high_thresh; keeptrack's split is strict.
        "high_conf_det_threshold": math.nextafter(high, -math.inf),
        "low_conf_det_threshold": min(_threshold(args, "track_low_thresh"), high),
        "track_activation_threshold": _threshold(args, "new_track_thresh"),
        "minimum_iou_threshold": 1.0 - match,
        "fuse_score": bool(args["fuse_score"]),
    }


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
        params = self._params(self.args, check_range("frame_rate", frame_rate, 1e-6))
        known = set(self._tracker_class().parameter_names())
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(
                f"unknown keeptrack option(s) {', '.join(unknown)} for "
                f"{self._tracker_class().__name__}"
            )
        self.tracker: BaseTracker = self._tracker_class()(**{**params, **options})
        self._needs_frame = self.tracker.cmc is not None
        self._single: bool | None = None  # whether the thresholds are set for float32 scores
        self.reset()

    # --- hooks ------------------------------------------------------------------------------
    @staticmethod
    def _tracker_class() -> type[BaseTracker]:
        raise NotImplementedError

    def _params(self, args: Mapping[str, Any], frame_rate: float) -> dict[str, Any]:
        return _tracker_params(args, frame_rate)

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
        conf, boxes, cls, oriented = _read_results(results)
        if oriented:
            dets = np.column_stack([boxes, conf, cls])
            box_format = "xywhr"
        else:
            dets = np.column_stack([self._measured(boxes), conf, cls])
            box_format = None
        self._compare_in(results.conf)
        frame = img if self._needs_frame else None
        self._update_tracker(dets, frame, feats, box_format)
        return self._rows(conf, cls, boxes, oriented)

    def _compare_in(self, conf: Any) -> None:
        """Set the score thresholds in the precision of the scores.

        NumPy compares ``float32`` scores with a Python threshold in ``float32`` (0.1 becomes
        ``float32(0.1)``, and a score of ``float32(0.1)`` is not above it), so for such
        scores the thresholds are rounded to ``float32`` first, and Ultralytics' ``>=`` on the
        high threshold becomes keeptrack's ``>`` on the next number below.
        """
        single = getattr(conf, "dtype", None) in (np.float32, "float32") or "float32" in str(
            getattr(conf, "dtype", "")
        )
        if single == self._single:
            return
        self._single = single

        def rounded(name: str) -> float:
            value = float(self.args[name])
            return float(np.float32(value)) if single else value

        high = rounded("track_high_thresh")
        self.tracker.high_conf_det_threshold = math.nextafter(high, -math.inf)
        self.tracker.low_conf_det_threshold = min(rounded("track_low_thresh"), high)
        self.tracker.track_activation_threshold = rounded("new_track_thresh")

    def _measured(self, xywh: np.ndarray) -> np.ndarray:
        """``xyxy`` boxes whose Kalman measurement is exactly the one Ultralytics makes.

        Ultralytics keeps a detection as a ``float32`` top-left/width/height box and converts
        it to the filter's measurement (centre, and aspect ratio for XYAH) in ``float32``; the
        boxes returned here carry those rounded values, so both filters see the same numbers
        and their Kalman boxes agree to ``float64`` rounding.
        """
        f32, f64 = np.float32, np.float64
        size = xywh[:, 2:4].astype(f32)
        corner = (xywh[:, :2] - xywh[:, 2:4] / 2).astype(f32)
        centre = (corner + size / 2).astype(f64)  # float32 arithmetic, as Ultralytics'
        size = size.astype(f64)
        if self.tracker.kalman.model == XYAH:
            size[:, 0] = (size[:, 0] / size[:, 1]).astype(f32) * size[:, 1]
        out = np.empty((len(xywh), 4))
        out[:, :2] = centre - size / 2
        out[:, 2:] = centre + size / 2
        return out

    def _update_tracker(self, dets, frame, feats, box_format) -> None:
        if feats is not None:
            raise ValueError("feats need BOTSORT with with_reid=True")
        self.tracker.update(dets, frame, box_format=box_format)

    def _rows(self, conf, cls, boxes, oriented: bool) -> np.ndarray:
        """The output rows, after ranking the tracks that entered a pool this frame."""
        t = self.tracker._table
        n = len(t)
        ids = t["track_id"][:n].copy()
        state = t["state"][:n].copy()
        old = (self._ids, self._state, self._rank)
        rank, self._counter = pool_ranks(ids, state, *old, self._counter)
        self._ids, self._state, self._rank = ids, state, rank
        rows = np.flatnonzero((state == TRACKED) & (t["last_frame"][:n] == self.tracker.frame_id))
        rows = rows[np.argsort(rank[rows], kind="stable")]
        det = t["det_index"][rows]
        width = 9 if oriented else 8
        out = np.empty((len(rows), width), np.float32)
        mean = t["mean"][rows]
        if oriented:
            out[:, :4] = self._xywh(mean)
            out[:, 4] = boxes[det, 4]
        else:
            out[:, :4] = self.tracker.kalman.to_xyxy(mean)
        out[:, -4] = t["track_id"][rows]
        out[:, -3] = conf[det]
        out[:, -2] = cls[det]
        out[:, -1] = det
        return out

    def _xywh(self, mean: np.ndarray) -> np.ndarray:
        xyxy = self.tracker.kalman.to_xyxy(mean)
        return np.column_stack([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]])


@njit(cache=True)
def pool_ranks(ids, state, old_ids, old_state, old_rank, counter):
    """Each track's place in Ultralytics' pools: when it last entered its pool.

    Ultralytics keeps tracked and lost tracks in two lists, each in the order tracks entered
    it, and returns rows in tracked-list order. Each frame the tracked list gains the births
    (by id), then the re-found lost tracks (in lost-list order); the lost list gains the newly
    lost tracks (in tracked-list order). ``ids`` / ``state`` are the tracks now, ``old_*`` the
    tracks and ranks of the previous frame, both sorted by id (keeptrack's table lists tracks
    in birth order, and ids are given at birth).

    Returns:
        ``(rank, counter)``: the ranks of ``ids`` and the next free rank.
    """
    n = len(ids)
    rank = np.zeros(n, np.int64)
    kind = np.zeros(n, np.int64)  # 0 stays, 1 born, 2 re-found, 3 newly lost
    j = 0
    for r in range(n):
        while j < len(old_ids) and old_ids[j] < ids[r]:
            j += 1
        lost = state[r] == LOST
        if j == len(old_ids) or old_ids[j] != ids[r]:
            kind[r] = 1
            continue
        rank[r] = old_rank[j]
        was_lost = old_state[j] == LOST
        if was_lost and not lost:
            kind[r] = 2
        elif lost and not was_lost:
            kind[r] = 3
    for k in (1, 2, 3):
        rows = np.flatnonzero(kind == k)
        rows = rows[np.argsort(rank[rows], kind="mergesort")]
        for r in rows:
            rank[r] = counter
            counter += 1
    return rank, counter


def _read_results(results: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """``(conf, xywh or xywhr, cls, oriented)`` as float64 arrays from a Results-like object."""
    missing = [name for name in ("conf", "cls") if not hasattr(results, name)]
    oriented = hasattr(results, "xywhr")
    if not oriented and not hasattr(results, "xywh"):
        missing.append("xywh")
    if missing:
        raise ValueError(
            f"results must have conf, cls and xywh (or xywhr) like Ultralytics Boxes; "
            f"{type(results).__name__} has no {', '.join(missing)}"
        )
    boxes = _array(results.xywhr if oriented else results.xywh, "results.xywh")
    width = 5 if oriented else 4
    if boxes.ndim != 2 or boxes.shape[1] != width:
        boxes = boxes.reshape(-1, width) if boxes.size == 0 else boxes
    if boxes.ndim != 2 or boxes.shape[1] != width:
        name = "xywhr" if oriented else "xywh"
        raise ValueError(f"results.{name} must have shape (N, {width}); got {boxes.shape}")
    conf = _array(results.conf, "results.conf").reshape(-1)
    cls = _array(results.cls, "results.cls").reshape(-1)
    if len(conf) != len(boxes) or len(cls) != len(boxes):
        raise ValueError(
            f"results.conf ({len(conf)}), results.cls ({len(cls)}) and the boxes "
            f"({len(boxes)}) must have one entry per detection"
        )
    return conf, boxes, cls, oriented


def _array(value: Any, name: str) -> np.ndarray:
    if hasattr(value, "cpu"):  # a torch tensor
        value = value.cpu().numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric; got {type(value).__name__}") from error


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
    def _tracker_class() -> type[BaseTracker]:
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
    def _tracker_class() -> type[BaseTracker]:
        from keeptrack.trackers.botsort import BoTSORTTracker

        return BoTSORTTracker

    def _params(self, args: Mapping[str, Any], frame_rate: float) -> dict[str, Any]:
        method = args["gmc_method"]
        if method not in GMC_METHODS:
            names = ", ".join(str(m) for m in GMC_METHODS)
            raise ValueError(f"gmc_method must be one of {names}; got {method!r}")
        return {
            **_tracker_params(args, frame_rate),
            "cmc": GMC_METHODS[method],
            "proximity_iou_threshold": 1.0 - _threshold(args, "proximity_thresh"),
            "appearance_threshold": 1.0 - _threshold(args, "appearance_thresh"),
        }

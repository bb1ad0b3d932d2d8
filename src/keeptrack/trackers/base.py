"""The contract every tracker shares.

``update(detections, frame=None, timestamp=None)`` validates its input before touching any
state, advances the tracker by one frame and returns the matched detections in the caller's
format (see :mod:`keeptrack.detections`). Track state lives in a
:class:`~keeptrack.trackers.tracks.TrackTable`; ``tracks`` is a read-only snapshot of it and
``state_dict()`` / ``load_state_dict()`` let a stopped stream resume with identical results.

A tracker is its parameters plus one compiled frame step composed of the stages in
:mod:`keeptrack.stages`; :meth:`BaseTracker._run_step` hands the step the track columns and
the frame's detections. Three features work the same way for every tracker:

- ``class_aware=True``: the step's cost matrices forbid cross-class pairs. A track keeps the
  class of the detection that started it (*first*, not latest or majority).
- ``cmc=``: camera motion compensation; before each frame's step the tracks are moved by the
  warp from :mod:`keeptrack.motion.cmc` (skipped when no frame is given, except for frame-free
  estimators such as ``"boxes"``).
- Oriented boxes: the box kind (:mod:`keeptrack.trackers.box_kinds`) is decided on the first
  non-empty frame; the step then compares rotated boxes and runs the angle filter.
"""

from __future__ import annotations

import copy
import inspect
import math
import warnings
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, overload

import numpy as np

from keeptrack.detections import (
    ArrayInput,
    DetectionArrays,
    InvalidDetectionsWarning,
    check_on_invalid,
    empty_detections,
    to_detection_arrays,
)
from keeptrack.motion.cmc import CameraMotion, load_motion_state, make_cmc, motion_state
from keeptrack.motion.kalman import _ConstantVelocityKalman
from keeptrack.stages.lifecycle import SHARED_COLUMNS, reported_predictions
from keeptrack.trackers.box_kinds import AXIS_ALIGNED, ORIENTED, BoxKind, box_kind_of
from keeptrack.trackers.tracks import TrackState, TrackTable, TrackView
from keeptrack.validation import check_range

if TYPE_CHECKING:
    import supervision as sv

#: Format of :meth:`BaseTracker.state_dict`; bumped when its layout changes, so a state saved by
#: another version is refused with a clear message instead of failing deep inside a reshape.
STATE_VERSION = 1


def frames_from_buffer(lost_track_buffer: float, frame_rate: float) -> int:
    """Frames a lost track survives: the buffer is given in 30 fps frames, as in ByteTrack."""
    return int(frame_rate / 30.0 * lost_track_buffer)


def appearance_model(given: Any, alias: Any, name: str, alias_name: str) -> Any:
    """The appearance model a tracker was given under either of its names.

    Roboflow ``trackers`` calls it ``feature_extractor``, BoT-SORT, boxmot and Ultralytics
    ``reid_model``; every tracker with appearance takes both, so ported code runs unchanged.

    Raises:
        ValueError: When both names are given different models.
    """
    if given is not None and alias is not None and given is not alias:
        raise ValueError(f"pass the appearance model as {name} or as {alias_name}, not both")
    return alias if given is None else given


def validate_frame(frame: Any) -> np.ndarray | None:
    """Check that ``frame`` is a ``uint8`` image ``(H, W)`` or ``(H, W, 1|3|4)``; ``None``
    passes. Runs before any state changes, so a bad frame never half-advances a tracker."""
    if frame is None:
        return None
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame must be a NumPy image array (H, W, 3); got {type(frame).__name__}")
    if frame.ndim not in (2, 3) or frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"frame must have shape (H, W) or (H, W, C); got {frame.shape}")
    if frame.ndim == 3 and frame.shape[2] not in (1, 3, 4):
        raise ValueError(f"frame must have 1, 3 or 4 channels; got shape {frame.shape}")
    if frame.dtype != np.uint8:
        raise ValueError(
            f"frame must be a uint8 image (BGR, 0-255); got dtype {frame.dtype} "
            "(for a float image in [0, 1] pass (frame * 255).astype(np.uint8))"
        )
    return frame


class BaseTracker(ABC):
    """Shared lifecycle, validation, id allocation and serialisation for all trackers.

    Subclasses set ``self.kalman`` and implement :meth:`_step`; they may add per-track columns
    through :meth:`_extra_columns`.
    """

    kalman: _ConstantVelocityKalman
    _last_timestamp: float | None
    _kind: BoxKind | None
    _frame_size: tuple[int, ...] | None

    def __init__(
        self,
        frame_rate: float = 30.0,
        class_aware: bool = False,
        cmc: str | CameraMotion | None = None,
        return_unmatched: bool = False,
    ) -> None:
        self.frame_rate = check_range("frame_rate", frame_rate, 1e-6)
        self.class_aware = bool(class_aware)
        self.return_unmatched = bool(return_unmatched)
        self.cmc = make_cmc(cmc)
        self._warned: set[str] = set()  # kinds of bad input already warned about (drop mode)
        self.reset()

    # --- subclass hooks -------------------------------------------------------------------
    @abstractmethod
    def _step(
        self, detections: DetectionArrays, frame: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run one frame of the algorithm.

        Returns:
            ``(det_index, track_id)`` for the detections that belong to a reported track.
        """

    def _extra_columns(self) -> dict[str, tuple[tuple[int, ...], type]]:
        return {}

    # --- public contract ------------------------------------------------------------------
    @overload
    def update(
        self,
        detections: sv.Detections,
        frame: np.ndarray | None = None,
        timestamp: float | None = None,
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
        *,
        box_format: str | None = None,
        on_invalid: str = "raise",
    ) -> np.ndarray: ...

    def update(
        self,
        detections: Any,
        frame: Any = None,
        timestamp: float | None = None,
        *,
        box_format: str | None = None,
        on_invalid: str = "raise",
    ) -> Any:
        """Associate this frame's detections with tracks.

        Args:
            detections: ``supervision.Detections`` or an ``(N, 4|5|6)`` array of
                ``[x1, y1, x2, y2, score, class]``; empty input is valid and ages the tracks.
            frame: The image the detections came from (BGR ``(H, W, 3)``); used by trackers with
                appearance or camera-motion models, validated and otherwise ignored. Every
                frame of a stream must have the same size (``reset()`` before a new one).
            timestamp: Capture time in seconds. When given, a gap of ``k`` frame intervals
                (``frame_rate``) since the previous timestamp counts as ``k - 1`` missed frames,
                so tracks age correctly across dropped frames. It must never go backwards.
            box_format: How to read array columns (``None``, ``"xyxy"`` or ``"xywhr"``; see
                :func:`keeptrack.detections.to_detection_arrays`). ``(N, 7)`` arrays need it.
            on_invalid: ``"raise"`` (default) or ``"drop"``: detection rows with bad values
                are left out, a timestamp that goes backwards is ignored and a frame of a new
                size is accepted, each with one :class:`~keeptrack.detections.
                InvalidDetectionsWarning` per kind of problem per tracker. Malformed arguments
                (wrong shape or type) raise either way.

        Returns:
            The detections that belong to confirmed tracks, in input order, with their track
            id: ``supervision.Detections`` with ``tracker_id`` set, or an ``(M, 8)`` array
            ``[x1, y1, x2, y2, track_id, score, class, det_index]`` for array input (``None``
            and nested lists count as arrays). With ``return_unmatched=True``, every
            detection (every valid one, when ``on_invalid="drop"`` dropped some), in input
            order, id ``-1`` where no confirmed track owns it.

        Raises:
            ValueError: On malformed detections, frame or timestamp; tracker state is unchanged.
        """
        batch = self._read_detections(detections, box_format, on_invalid)
        return self._update_batch(batch, frame, timestamp, on_invalid)

    def _read_detections(
        self, detections: Any, box_format: str | None, on_invalid: str
    ) -> DetectionArrays:
        """Validate one frame's detections (warning once per kind per tracker when dropping)."""
        return to_detection_arrays(
            detections, box_format=box_format, on_invalid=on_invalid, warned=self._warned
        )

    def _update_batch(
        self,
        batch: DetectionArrays,
        frame: Any,
        timestamp: float | None,
        on_invalid: str = "raise",
    ) -> Any:
        """:meth:`update` for detections already validated (subclasses that look at them
        first, e.g. to embed them, pass their batch on instead of validating twice)."""
        batch, det_index, track_id = self._track_batch(batch, frame, timestamp, on_invalid)
        return batch.with_tracks(det_index, track_id, every_row=self.return_unmatched)

    def _track_batch(
        self,
        batch: DetectionArrays,
        frame: Any,
        timestamp: float | None,
        on_invalid: str = "raise",
    ) -> tuple[DetectionArrays, np.ndarray, np.ndarray]:
        """Track one validated frame, without building the output (for callers with their own,
        such as the Ultralytics drop-ins).

        Every check runs before the first change of state, so a call that raises leaves the
        tracker exactly as it was.

        Returns:
            ``(batch, det_index, track_id)``: the batch tracked (an empty oriented one stands
            in for an empty frame of an oriented stream), and the rows of ``batch`` that belong
            to a reported track with their ids.
        """
        check_on_invalid(on_invalid)
        frame = validate_frame(frame)
        frame_size = self._check_frame_size(frame, on_invalid)
        oriented = self._check_box_kind(batch)
        try:
            skipped = self._frames_skipped(timestamp)
        except ValueError as error:
            if on_invalid != "drop" or not self._is_number(timestamp):
                raise
            self._warn_once("timestamp", f"{error}; ignoring this timestamp")
            skipped, timestamp = 0, None
        oriented_now = self._kind is not None and self._kind.oriented
        if len(batch) == 0 and oriented_now and batch.xywhr is None and batch.source is None:
            batch = empty_detections(oriented=True)  # (0, 9) output, as every oriented frame
        if frame_size is not None:
            self._frame_size = frame_size
        if oriented is not None:
            self._kind = box_kind_of(oriented)
        for _ in range(skipped):
            self._advance(empty_detections(oriented=self._kind == ORIENTED), None)
        det_index, track_id = self._advance(batch, frame)
        if timestamp is not None:
            self._last_timestamp = float(timestamp)
        return batch, det_index, track_id

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            warnings.warn(
                InvalidDetectionsWarning(f'{message} (on_invalid="drop"; once per kind)', kind),
                stacklevel=4,
            )

    def _check_frame_size(self, frame: np.ndarray | None, on_invalid: str) -> tuple | None:
        """The frame's ``(H, W)`` if it is the first one; raise (or warn, dropping) when a
        frame of another size arrives: camera-motion and appearance state assume one size."""
        if frame is None:
            return None
        size = tuple(int(v) for v in frame.shape[:2])
        if self._frame_size is None or size == tuple(self._frame_size):
            return size
        message = (
            f"frame is {size[1]}x{size[0]} but this stream's frames have been "
            f"{self._frame_size[1]}x{self._frame_size[0]}; call reset() before a new stream"
        )
        if on_invalid != "drop":
            raise ValueError(message)
        self._warn_once("frame size", f"{message}; continuing with the new size")
        if self.cmc is not None:
            self.cmc.reset()  # its previous frame cannot be compared with this one
        return size

    @staticmethod
    def _is_number(value: Any) -> bool:
        return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)

    def reset(self) -> None:
        """Forget every track and restart ids at 1."""
        columns: dict[str, tuple[tuple[int, ...], type]] = {
            "track_id": ((), np.int64),
            "state": ((), np.int8),
            "mean": ((self.kalman.ndim_state,), np.float64),
            "cov": ((self.kalman.ndim_state, self.kalman.ndim_state), np.float64),
            "score": ((), np.float64),
            "class_id": ((), np.int64),
            "start_frame": ((), np.int64),
            "last_frame": ((), np.int64),
            "hits": ((), np.int64),
            "det_index": ((), np.int64),
            "angle": ((2,), np.float64),
            "angle_cov": ((2, 2), np.float64),
        }
        columns.update(self._extra_columns())
        self._table = TrackTable(columns)
        self._next_id = 1
        self.frame_id = 0
        self._last_timestamp = None
        self._kind = None
        self._frame_size = None
        if self.cmc is not None:
            self.cmc.reset()

    @property
    def tracks(self) -> tuple[TrackView, ...]:
        """Snapshot of every live track (tentative, tracked and lost)."""
        t = self._table
        boxes = (self._kind or AXIS_ALIGNED).hulls(self.kalman.to_xyxy(t["mean"]), t["angle"])
        return tuple(
            TrackView(
                track_id=int(t["track_id"][i]),
                state=TrackState(int(t["state"][i])).name.lower(),
                xyxy=tuple(float(v) for v in boxes[i]),  # type: ignore[arg-type]  # 4 columns
                score=float(t["score"][i]),
                class_id=int(t["class_id"][i]),
                age=int(self.frame_id - t["start_frame"][i]),
                hits=int(t["hits"][i]),
                time_since_update=int(self.frame_id - t["last_frame"][i]),
            )
            for i in range(len(t))
        )

    def apply_camera_motion(self, warp: Any) -> None:
        """Move every track by a 2x3 affine camera-motion warp (previous frame -> this frame).

        Call it before :meth:`update` of the frame the warp leads to; this is the
        ``multi_gmc`` hook of Ultralytics / BoT-SORT, applied to all tracks in one call.
        """
        warp = np.asarray(warp, dtype=np.float64)
        if warp.shape != (2, 3) or not np.isfinite(warp).all():
            raise ValueError(f"warp must be a finite 2x3 affine matrix; got shape {warp.shape}")
        self._move_tracks(warp)

    def _move_tracks(self, warp: np.ndarray) -> None:
        """:meth:`apply_camera_motion` for a warp known to be a finite float64 ``(2, 3)``."""
        t = self._table
        self.kalman.apply_affine_inplace(t["mean"], t["cov"], warp)
        if self._kind is not None and self._kind.oriented:
            t["angle"][:, 0] += np.arctan2(warp[1, 0], warp[0, 0])
        self._warp_extra(warp)

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume this stream later (parameters are not included).

        ``kind`` and ``version`` name the tracker class and the format, so that
        :meth:`load_state_dict` can refuse a state from another tracker or release.
        """
        return {
            "kind": type(self).__name__,
            "version": STATE_VERSION,
            "frame_size": self._frame_size,
            "frame_id": self.frame_id,
            "next_id": self._next_id,
            "last_timestamp": self._last_timestamp,
            "oriented": None if self._kind is None else self._kind.oriented,
            "tracks": self._table.state_dict(),
            "extra": copy.deepcopy(self._extra_state()),
            "cmc": copy.deepcopy(motion_state(self.cmc)),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict` from a tracker of the same class.

        Raises:
            ValueError: If ``state`` is not a state dict, comes from another tracker class or
                another state format, or does not fit this tracker's settings (e.g. a
                DeepSORT state with a different ``nn_budget``); the tracker is then unchanged.
        """
        self._check_state_kind(state)
        before = self.state_dict()
        try:
            self._load_state(state)
        except Exception as error:
            self._load_state(before)
            raise ValueError(f"state does not fit this {type(self).__name__}: {error}") from None

    def _check_state_kind(self, state: Any) -> None:
        kind = type(self).__name__
        if not isinstance(state, dict) or "tracks" not in state or "frame_id" not in state:
            raise ValueError(
                f"state must be a dict saved by {kind}.state_dict(); got {type(state).__name__}"
                + (f" with keys {sorted(state)}" if isinstance(state, dict) else "")
            )
        saved_kind = state.get("kind")
        if saved_kind != kind:
            raise ValueError(
                f"state was saved by a {saved_kind}; it cannot be loaded into a {kind}"
            )
        version = state.get("version")
        if version != STATE_VERSION:
            raise ValueError(
                f"state has format version {version!r}, this keeptrack reads version "
                f"{STATE_VERSION}: resume with the release that saved it, or start afresh"
            )

    def _load_state(self, state: dict[str, Any]) -> None:
        self._table.load_state_dict(state["tracks"])
        self.frame_id = int(state["frame_id"])
        self._next_id = int(state["next_id"])
        self._last_timestamp = state["last_timestamp"]
        oriented = state.get("oriented")
        self._kind = None if oriented is None else box_kind_of(oriented)
        size = state.get("frame_size")
        self._frame_size = None if size is None else tuple(size)
        self._load_extra_state(copy.deepcopy(state.get("extra", {})))
        load_motion_state(self.cmc, copy.deepcopy(state.get("cmc")))

    @classmethod
    def parameter_names(cls) -> list[str]:
        """Constructor parameter names (the tracker's tunable settings)."""
        return [
            name
            for name, p in inspect.signature(cls.__init__).parameters.items()
            if name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD
        ]

    def get_params(self) -> dict[str, Any]:
        """Current constructor parameters, scikit-learn style (for CLIs, tuning and logs)."""
        return {name: getattr(self, name) for name in self.parameter_names()}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # --- helpers for subclasses -------------------------------------------------------------
    def _store_lifecycle_params(
        self,
        lost_track_buffer: int,
        track_activation_threshold: float,
        minimum_consecutive_frames: int,
        minimum_iou_threshold: float,
    ) -> None:
        """Validate and store the parameters every tracker shares under Roboflow's names."""
        self.lost_track_buffer = int(check_range("lost_track_buffer", lost_track_buffer, 0))
        self.track_activation_threshold = check_range(
            "track_activation_threshold", track_activation_threshold, 0, 1
        )
        self.minimum_consecutive_frames = int(
            check_range("minimum_consecutive_frames", minimum_consecutive_frames, 1)
        )
        self.minimum_iou_threshold = check_range(
            "minimum_iou_threshold", minimum_iou_threshold, 0, 1
        )

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        del state

    def _warp_extra(self, warp: np.ndarray) -> None:
        """Move any extra per-track geometry (e.g. stored observations) by a camera warp."""
        del warp

    def _check_box_kind(self, batch: DetectionArrays) -> bool | None:
        """Whether the batch is oriented (``None`` when empty); raises on a switch of kind.
        The caller records the kind once every check has passed."""
        if len(batch) == 0:
            return None
        kind = box_kind_of(batch.xywhr is not None)
        if self._kind is not None and kind != self._kind:
            raise ValueError(
                f"detections are {kind.name} boxes but this tracker has been tracking "
                f"{self._kind.name} boxes; call reset() before switching"
            )
        return kind.oriented

    def _advance(self, batch: DetectionArrays, frame: np.ndarray | None):
        self.frame_id += 1
        if self.cmc is not None:
            if not getattr(self.cmc, "needs_frame", True):
                # Box-based estimators (BoxMotion) run without pixels: they get the scores, to
                # drop weak boxes, and the predictions of the tracks matched last frame, so
                # they measure only the common motion those tracks' velocities did not foresee.
                checked = getattr(self.cmc, "estimate_checked", None)
                if checked is not None:
                    warp = checked(frame, batch.xyxy, batch.confidence, self._recent_predictions)
                    if frame is None:
                        self._move_tracks(warp)  # estimated here from boxes already checked
                    else:
                        self.apply_camera_motion(warp)  # from pixels: checked like any such
                else:
                    boxes = np.column_stack([batch.xyxy, batch.confidence])
                    warp = self.cmc.estimate(frame, boxes, predicted=self._recent_predictions())
                    self.apply_camera_motion(warp)
            elif frame is not None:
                self.apply_camera_motion(self.cmc.estimate(frame, batch.xyxy))
        return self._step(batch, frame)

    def _recent_predictions(self) -> np.ndarray:
        """One-step ``xyxy`` predictions of the tracks matched in the previous frame.

        Called at the start of a frame (``frame_id`` already advanced), before the tracker's own
        predict; the table is not changed.
        """
        t = self._table
        storage = t.storage
        rows, xyxy = reported_predictions(
            storage["mean"],
            storage["state"],
            storage["last_frame"],
            len(t),
            self.frame_id - 1,
            self.kalman.model,
        )
        if self._kind is None or not self._kind.oriented:
            return xyxy
        # Oriented tracks: the hull of the rotated box, as detections' ``xyxy`` holds.
        return self._kind.hulls(xyxy, storage["angle"][rows])

    def _frames_skipped(self, timestamp: float | None) -> int:
        if timestamp is None:
            return 0
        if not isinstance(timestamp, (int, float, np.number)) or not math.isfinite(timestamp):
            raise ValueError(f"timestamp must be a finite number of seconds; got {timestamp!r}")
        if self._last_timestamp is None:
            return 0
        elapsed = float(timestamp) - self._last_timestamp
        if elapsed < 0:
            raise ValueError(
                f"timestamp must not go backwards; got {timestamp} after {self._last_timestamp}"
            )
        intervals = int(round(elapsed * self.frame_rate))
        return min(max(intervals - 1, 0), self._max_skipped_frames())

    def _max_skipped_frames(self) -> int:
        """Upper bound on simulated missed frames; past it every track is gone anyway."""
        return 10_000

    def _run_step(
        self,
        step: Any,
        detections: DetectionArrays,
        *parameters: Any,
        extra_columns: tuple[str, ...] = (),
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run the tracker's compiled frame step on the track table.

        ``step(columns, n, det, frame_id, next_id, oriented, *parameters)`` gets the columns'
        whole storage (``SHARED_COLUMNS`` then ``extra_columns``, with room for one new track
        per detection), the number of live rows and the detection matrix of
        :mod:`keeptrack.stages.boxes`; it updates the columns in place and returns ``(n,
        next_id, det_index, track_id)``. Parameters must be plain ``float`` / ``int`` /
        ``bool`` or arrays: another argument type would compile the step again.
        """
        t = self._table
        t.reserve(len(detections))
        kind = self._kind or AXIS_ALIGNED
        n, self._next_id, det_index, track_id = step(
            t.step_columns(SHARED_COLUMNS + extra_columns),
            len(t),
            detections.matrix,
            self.frame_id,
            self._next_id,
            kind.oriented,
            *parameters,
        )
        t.set_length(n)
        return det_index, track_id

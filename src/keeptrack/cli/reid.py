"""``--reid``: the appearance model of ``keeptrack track`` and ``keeptrack demo``.

One option, one meaning in every command:

- ``mobilenet``: the offline ImageNet MobileNetV2 (``keeptrack[mobilenet,onnx]``);
- ``histogram``: colour histograms, no weights;
- ``adapt``: learn from this video first. Pass one runs the detector and SORT (motion only) over
  the whole source and embeds every detection with MobileNetV2; a head is trained on SORT's
  tracklets (:mod:`keeptrack.appearance.adapt`, seconds on a CPU); pass two tracks the same
  detections with the adapted model (the base features of pass one are looked up, not computed
  again). Needs a file or folder source (it is read twice);
  ``--reid-save head.npz`` keeps the head for the camera's later videos;
- a file: ``.onnx`` (``ReIDModel.from_onnx``), ``.pt`` / ``.pth`` (an OSNet checkpoint from
  torchreid or BoxMOT, the variant read from the file name, e.g. ``osnet_x0_25_msmt17.pt``), or
  ``.npz`` (a head saved by ``--reid-save``, on MobileNetV2).

The model goes to the tracker's appearance parameter (``reid_model`` or ``feature_extractor``);
a tracker without one is refused with the list of those that have one.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np
import supervision as sv

from keeptrack.appearance import ReIDModel
from keeptrack.appearance.adapt import AdaptedModel, AppearanceHead, fit_head, motion_tracklets
from keeptrack.appearance.features import detection_features
from keeptrack.appearance.osnet import VARIANTS
from keeptrack.io.sources import open_source
from keeptrack.trackers.registry import TRACKERS, tracker_class
from keeptrack.trackers.sort import SORTTracker

REID_HELP = (
    "Appearance model: mobilenet, histogram, adapt (learn from this video: two passes), or a "
    "file: .onnx, .pt/.pth (OSNet from torchreid / BoxMOT), .npz (a head saved by --reid-save)."
)
_NAMED = ("mobilenet", "histogram", "adapt")
_FILES = (".onnx", ".pt", ".pth", ".npz")
_PARAMETERS = ("reid_model", "feature_extractor")


def uses_appearance(tracker: str) -> bool:
    """Whether ``tracker`` takes an appearance model."""
    return any(p in _init_parameters(tracker) for p in _PARAMETERS)


def appearance_parameter(tracker: str) -> str:
    """The constructor parameter of ``tracker`` that takes an appearance model.

    Raises:
        ValueError: If the tracker has none (the message lists the trackers that do).
    """
    found = [p for p in _PARAMETERS if p in _init_parameters(tracker)]
    if not found:
        users = [n for n in TRACKERS if uses_appearance(n)]
        raise ValueError(f"--reid needs a tracker that uses appearance ({', '.join(users)})")
    return found[0]


def _init_parameters(tracker: str) -> set[str]:
    return set(inspect.signature(tracker_class(tracker)).parameters)


def check_reid(reid: str | None, tracker: str) -> None:
    """Validate ``--reid`` before anything is opened.

    Raises:
        ValueError: For an unknown value, a tracker without appearance, or an OSNet file whose
            name does not say which variant it is.
        FileNotFoundError: For a model file that does not exist.
    """
    if reid is None:
        return
    appearance_parameter(tracker)
    if reid in _NAMED:
        return
    path = Path(reid)
    if path.suffix.lower() not in _FILES:
        raise ValueError(f"--reid must be one of {', '.join(_NAMED)} or a {'/'.join(_FILES)} file")
    if not path.is_file():
        raise FileNotFoundError(f"--reid: model file not found: {path}")
    if path.suffix.lower() in (".pt", ".pth"):
        osnet_variant(path)


def osnet_variant(path: Path) -> str:
    """The OSNet variant a checkpoint's file name spells (``osnet_ain_x1_0`` before
    ``osnet_x1_0``).

    Raises:
        ValueError: If the name contains no variant.
    """
    stem = path.stem.lower()
    for name in sorted(VARIANTS, key=len, reverse=True):
        if name in stem:
            return name
    raise ValueError(
        f"--reid: cannot tell the OSNet variant from {path.name!r}; rename it to contain one "
        f"of {', '.join(VARIANTS)} (as torchreid's and BoxMOT's files do)"
    )


def load_reid(reid: str) -> Any:
    """The appearance model for a ``--reid`` value other than ``adapt``."""
    if reid == "mobilenet":
        return _mobilenet()
    if reid == "histogram":
        return ReIDModel.histogram()
    path = Path(reid)
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        return ReIDModel.from_onnx(path)
    if suffix == ".npz":
        return AdaptedModel(_mobilenet(), AppearanceHead.load(path))
    return ReIDModel.from_pretrained(osnet_variant(path), weights=path)


def _mobilenet() -> ReIDModel:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return ReIDModel.mobilenetv2("torch")
    return ReIDModel.mobilenetv2("onnx")


class ReplayFeatures:
    """Pass two of ``adapt``: the base model, answering from pass one's features.

    Pass two sees the same frames and the same boxes as pass one, so each box's feature is
    looked up by (frame content, box) instead of running the network again; anything not seen
    (a mask, another box) goes to the base model.
    """

    def __init__(self, base: Any) -> None:
        self.base = base
        self.dim = base.dim
        self._seen: dict[bytes, dict[bytes, np.ndarray]] = {}

    def remember(self, frame: np.ndarray, boxes: np.ndarray, features: np.ndarray) -> None:
        """Store one frame's features, one row per box."""
        self._seen[_digest(frame)] = {
            _box_key(box): row for box, row in zip(boxes, features, strict=True)
        }

    def embed(
        self, frame: np.ndarray, boxes: np.ndarray, masks: np.ndarray | None = None
    ) -> np.ndarray:
        known = self._seen.get(_digest(frame), {})
        rows = [known.get(_box_key(box)) for box in np.asarray(boxes).reshape(-1, 4)]
        if masks is not None or not rows or any(r is None for r in rows):
            return self.base.embed(frame, boxes, masks)
        return np.stack(rows)  # type: ignore[arg-type]  # no row is None (checked above)


def _digest(frame: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(frame).data, digest_size=16).digest()


def _box_key(box: np.ndarray) -> bytes:
    return np.asarray(box, dtype=np.float64).tobytes()


class ReplayDetector:
    """Pass two of ``adapt``: the detections pass one found, frame by frame, in order."""

    def __init__(self, detections: list[sv.Detections], class_names: Any) -> None:
        self._detections = iter(detections)
        self.class_names = class_names

    def detect(self, frame: np.ndarray) -> sv.Detections:
        return next(self._detections)


def prepare_reid(
    reid: str | None,
    tracker: str,
    source: str | None,
    fps: float | None,
    detector: Any,
    frame_rate: float,
    max_frames: int | None,
    save: Path | None,
    console: Any,
) -> tuple[dict[str, Any], Any]:
    """The tracker's appearance keyword argument and the detector to run.

    For ``adapt`` this runs pass one (see the module doc) and returns a replaying detector.

    Raises:
        ValueError: If ``adapt`` has no tracklet pairs to learn from, or ``save`` is given
            without ``adapt``.
    """
    if save is not None and reid != "adapt":
        raise ValueError("--reid-save needs --reid adapt")
    if reid is None:
        return {}, detector
    parameter = appearance_parameter(tracker)
    if reid != "adapt":
        return {parameter: load_reid(reid)}, detector
    if source is None:
        raise ValueError("--reid adapt needs --source (it reads the input twice)")
    base = ReplayFeatures(_mobilenet())
    start = time.perf_counter()
    found, features, arrays = [], [], []
    with open_source(source, fps) as frames:
        for frame in itertools.islice(frames, max_frames):
            detections = detector.detect(frame)
            found.append(detections)
            arrays.append(np.column_stack([detections.xyxy, _scores(detections)]))
            features.append(detection_features(base.base, frame, detections.xyxy))
            base.remember(frame, detections.xyxy, features[-1])
    embedded = time.perf_counter()
    tracklets = motion_tracklets(SORTTracker(frame_rate=frame_rate), arrays)
    head = fit_head(features, tracklets)
    console.print(
        f"adapt: pass one read {len(found)} frames and embedded their detections in "
        f"{embedded - start:.1f} s; {len(tracklets)} motion tracklets, head trained in "
        f"{time.perf_counter() - embedded:.1f} s"
    )
    if save is not None:
        head.save(save)
        console.print(f"adapt: head saved to {save} (reuse it with --reid {save})")
    replay = ReplayDetector(found, getattr(detector, "class_names", None))
    return {parameter: AdaptedModel(base, head)}, replay


def sequence_appearance(
    reid: str, folder: Path, detections: list[np.ndarray], start: int, frame_rate: float
) -> tuple[Any, list[np.ndarray]]:
    """``keeptrack bench --reid``: the model and every detection's features for one sequence
    (its frames ``start + 1 ..`` read from ``img1/``); ``adapt`` learns a head for it.

    Raises:
        ValueError: If the sequence has no frames to read.
    """
    if not (folder / "img1").is_dir():
        raise ValueError(f"--reid needs the frames: {folder.name} has no img1/ folder")
    model = _mobilenet() if reid == "adapt" else load_reid(reid)
    with open_source(folder) as frames:
        pixels = itertools.islice(frames, start, start + len(detections))
        features = [
            detection_features(model, frame, dets[:, :4])
            for frame, dets in zip(pixels, detections, strict=True)
        ]
    if reid != "adapt":
        return model, features
    head = fit_head(features, motion_tracklets(SORTTracker(frame_rate=frame_rate), detections))
    return AdaptedModel(model, head), [head(f) for f in features]


def _scores(detections: sv.Detections) -> np.ndarray:
    if detections.confidence is None:
        return np.ones(len(detections))
    return detections.confidence


__all__ = [
    "REID_HELP",
    "appearance_parameter",
    "check_reid",
    "load_reid",
    "prepare_reid",
    "sequence_appearance",
    "uses_appearance",
]

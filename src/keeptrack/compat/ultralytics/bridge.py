"""Any keeptrack tracker inside an Ultralytics prediction loop.

Ultralytics' ``model.track`` is ``model.predict`` with two callbacks: one creates a tracker per
stream when prediction starts, one replaces each frame's ``result.boxes`` (or ``result.obb``)
by the tracked rows after post-processing. :func:`register_tracker` registers the same two
callbacks with a keeptrack tracker, so ``model.predict`` tracks::

    from ultralytics import YOLO

    from keeptrack.compat.ultralytics import register_tracker

    model = YOLO("yolo11n.pt")
    register_tracker(model, "ocsort")  # or "bytetrack", "botsort", ..., or a factory
    for result in model.predict("video.mp4", stream=True):
        print(result.boxes.id)

:class:`UltralyticsAdapter` gives any keeptrack tracker Ultralytics' ``update(results, img)``
call shape on its own, for loops that call a tracker by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from keeptrack.compat.ultralytics.results import read_results


class UltralyticsAdapter:
    """A keeptrack tracker behind Ultralytics' ``update(results, img=None, feats=None)``.

    Rows come back as keeptrack reports them (input order, the detection's own box) in
    Ultralytics' layout: ``float32`` ``(N, 8)`` ``[x1, y1, x2, y2, track_id, score, cls, idx]``
    or ``(N, 9)`` ``[x, y, w, h, angle, track_id, score, cls, idx]`` for oriented boxes.
    For Ultralytics' own rows (its order and Kalman boxes) use
    :class:`~keeptrack.compat.ultralytics.BYTETracker` or ``BOTSORT``.

    Args:
        tracker: A keeptrack tracker, or the registry name of one (``"ocsort"``, ...).
        **params: Constructor parameters when ``tracker`` is a name.
    """

    def __init__(self, tracker: Any = "bytetrack", **params: Any) -> None:
        if isinstance(tracker, str):
            from keeptrack.trackers.registry import create_tracker

            tracker = create_tracker(tracker, **params)
        elif params:
            raise ValueError("params are only for a tracker given by name")
        if not hasattr(tracker, "update") or not hasattr(tracker, "reset"):
            raise ValueError(f"tracker must be a keeptrack tracker; got {type(tracker).__name__}")
        self.tracker = tracker

    def update(
        self, results: Any, img: np.ndarray | None = None, feats: np.ndarray | None = None
    ) -> np.ndarray:
        """Track one frame (``results`` as for
        :meth:`keeptrack.compat.ultralytics.BYTETracker.update`; ``feats`` are passed on as
        ``embeddings`` to trackers with an appearance model)."""
        conf, boxes, cls, oriented = read_results(results)
        if oriented:
            dets, box_format = np.column_stack([boxes, conf, cls]), "xywhr"
        else:
            half = boxes[:, 2:4] / 2
            dets = np.column_stack([boxes[:, :2] - half, boxes[:, :2] + half, conf, cls])
            box_format = "xyxy"
        extra = {} if feats is None else {"embeddings": feats}
        rows = self.tracker.update(dets, img, box_format=box_format, **extra)
        return np.asarray(rows, dtype=np.float32)

    def reset(self) -> None:
        """Forget every track and restart ids at 1."""
        self.tracker.reset()


def register_tracker(
    model: Any, tracker: str | Callable[[], Any] = "bytetrack", persist: bool = False, **params: Any
) -> None:
    """Make ``model.predict`` track with a keeptrack tracker (Ultralytics' ``model.track``).

    Args:
        model: An Ultralytics model (anything with ``add_callback(event, callback)``).
        tracker: A keeptrack registry name (``"bytetrack"``, ``"ocsort"``, ...), or a factory
            returning an object with Ultralytics' ``update(results, img)``, e.g.
            ``lambda: BYTETracker("bytetrack.yaml")``. One tracker is made per stream.
        persist: Keep the trackers between ``predict`` calls and across videos (without it, a
            new video resets its tracker, as ``model.track(persist=False)`` does).
        **params: Constructor parameters for a tracker given by name.

    Raises:
        ValueError: For an unknown tracker name or parameter (at registration, not mid-video).
    """
    if isinstance(tracker, str):
        UltralyticsAdapter(tracker, **params)  # fail now on a bad name or parameter
        factory: Callable[[], Any] = partial(UltralyticsAdapter, tracker, **params)
    elif callable(tracker):
        if params:
            raise ValueError("params are only for a tracker given by name")
        factory = tracker
    else:
        raise ValueError(f"tracker must be a name or a factory; got {type(tracker).__name__}")
    model.add_callback("on_predict_start", partial(_start, factory=factory, persist=persist))
    model.add_callback("on_predict_postprocess_end", partial(_track, persist=persist))


def _start(predictor: Any, factory: Callable[[], Any], persist: bool) -> None:
    """Give the predictor one tracker per stream of its batch."""
    if persist and getattr(predictor, "keeptrack_trackers", None):
        return
    streams = getattr(getattr(predictor, "dataset", None), "bs", 1) or 1
    predictor.keeptrack_trackers = [factory() for _ in range(streams)]
    predictor.keeptrack_paths = [None] * streams


def _track(predictor: Any, persist: bool) -> None:
    """Replace each result's boxes by its tracked rows (with ids)."""
    oriented = getattr(getattr(predictor, "args", None), "task", None) == "obb"
    trackers, paths = predictor.keeptrack_trackers, predictor.keeptrack_paths
    for i, result in enumerate(predictor.results):
        k = i if len(trackers) > 1 else 0
        if not persist and paths[k] is not None and paths[k] != result.path:
            trackers[k].reset()  # a new video
        paths[k] = result.path
        boxes = result.obb if oriented else result.boxes
        if boxes is None:
            continue
        rows = trackers[k].update(boxes.cpu().numpy(), result.orig_img)
        if len(rows) == 0:
            continue
        tracked = result[rows[:, -1].astype(int)]
        tracked.update(**{"obb" if oriented else "boxes": _like(boxes.data, rows[:, :-1])})
        predictor.results[i] = tracked


def _like(template: Any, rows: np.ndarray) -> Any:
    """``rows`` as the array type of ``template`` (a torch tensor on its device, or NumPy)."""
    if type(template).__module__.split(".")[0] == "torch":
        import torch

        return torch.as_tensor(rows, device=template.device)
    return rows

"""Ultralytics' own trackers, run as a black box by the parity tests and the speed benchmark.

``ultralytics`` 8.4.190 is installed with ``--no-deps`` (README's test command): its tracker
modules need nothing else from its requirements except an answer to the version lookup of
``torchvision`` that ``ultralytics.utils`` makes while it is imported (torchvision itself is not
installed, and the trackers never use it). That answer is given here, during the import only;
keeptrack's library code never imports Ultralytics.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import tempfile
from types import SimpleNamespace
from typing import Any
from unittest import mock

import numpy as np

#: The Ultralytics release the parity tests were written against.
ULTRALYTICS_VERSION = "8.4.190"


def installed() -> bool:
    """Whether ``ultralytics`` can be imported (the parity tests skip otherwise)."""
    return importlib.util.find_spec("ultralytics") is not None


def ultralytics_trackers() -> SimpleNamespace:
    """``BYTETracker`` and ``BOTSORT`` from ``ultralytics.trackers``, plus its ``Boxes``
    results class, its ``YAML`` and ``check_yaml`` helpers and its version."""
    real_version = importlib.metadata.version

    def version(name: str) -> str:
        if name == "torchvision":
            return "0.28.0"  # torch 2.13's; never imported by the trackers, only looked up
        return real_version(name)

    # Ultralytics writes a settings file on import; keep it out of the user's home.
    os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="keeptrack-yolo-"))
    os.environ.setdefault("YOLO_OFFLINE", "1")
    with mock.patch("importlib.metadata.version", version):
        import ultralytics
        from ultralytics.engine.results import Boxes
        from ultralytics.trackers.bot_sort import BOTSORT
        from ultralytics.trackers.byte_tracker import BYTETracker
        from ultralytics.utils import YAML
        from ultralytics.utils.checks import check_yaml
    return SimpleNamespace(
        Boxes=Boxes,
        BYTETracker=BYTETracker,
        BOTSORT=BOTSORT,
        YAML=YAML,
        check_yaml=check_yaml,
        version=ultralytics.__version__,
    )


class Results:
    """The part of Ultralytics ``Boxes`` / ``OBB`` (after ``.cpu().numpy()``) that trackers
    read: ``conf``, ``cls``, ``xywh`` or ``xywhr``, ``len`` and boolean indexing."""

    def __init__(self, conf: np.ndarray, boxes: np.ndarray, cls: np.ndarray) -> None:
        self.conf, self.cls = conf, cls
        self._boxes = boxes
        if boxes.shape[1] == 5:
            self.xywhr = boxes
        else:
            self.xywh = boxes

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, index: Any) -> Results:
        return Results(self.conf[index], self._boxes[index], self.cls[index])


def results_of(dets: np.ndarray, cls: np.ndarray | None = None) -> Results:
    """``float32`` Results from ``(N, 5)`` ``[x1, y1, x2, y2, score]`` rows, as a detector
    gives them to Ultralytics' trackers."""
    xyxy = dets[:, :4]
    xywh = np.column_stack([(xyxy[:, :2] + xyxy[:, 2:]) / 2, xyxy[:, 2:] - xyxy[:, :2]])
    cls = np.zeros(len(dets)) if cls is None else cls
    return Results(dets[:, 4].astype(np.float32), xywh.astype(np.float32), cls.astype(np.float32))


def default_args(trackers: SimpleNamespace, name: str, **overrides: Any) -> Any:
    """Ultralytics' shipped ``<name>.yaml`` args as its ``model.track`` reads them."""
    from ultralytics.utils import IterableSimpleNamespace

    args = trackers.YAML.load(trackers.check_yaml(f"{name}.yaml"))
    return IterableSimpleNamespace(**{**args, **overrides})

"""Ultralytics' tracker args (``bytetrack.yaml``, ``botsort.yaml``) and the keeptrack
parameters they map to."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from keeptrack.trackers.base import frames_from_buffer
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
FIXED_STAGES = {
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


def threshold(args: Mapping[str, Any], name: str) -> float:
    """The arg ``name``, checked to be a number in ``[0, 1]``."""
    return float(check_range(name, args[name], 0, 1))


def score_thresholds(args: Mapping[str, Any], single: bool) -> dict[str, float]:
    """keeptrack's score thresholds for Ultralytics' three, for ``float32`` scores (``single``)
    or ``float64`` ones.

    NumPy compares ``float32`` scores with a Python threshold in ``float32`` (a score of
    ``float32(0.1)`` is not above ``track_low_thresh: 0.1`` there), so for such scores the
    thresholds are rounded to ``float32`` first. Ultralytics' high boxes score ``>=
    track_high_thresh``; keeptrack's split is strict, so it gets the next number below.
    """

    def value(name: str) -> float:
        number = threshold(args, name)
        return float(np.float32(number)) if single else number

    high = value("track_high_thresh")
    return {
        "high_conf_det_threshold": math.nextafter(high, -math.inf),
        "low_conf_det_threshold": min(value("track_low_thresh"), high),
        "track_activation_threshold": value("new_track_thresh"),
    }


def tracker_params(args: Mapping[str, Any], frame_rate: float) -> dict[str, Any]:
    """keeptrack parameters for the args that ``BYTETracker`` and ``BOTSORT`` share."""
    match = threshold(args, "match_thresh")
    buffer = check_range("track_buffer", args["track_buffer"], 0)
    if not isinstance(args["fuse_score"], (bool, np.bool_)):
        raise ValueError(f"fuse_score must be True or False; got {args['fuse_score']!r}")
    return {
        **FIXED_STAGES,
        **score_thresholds(args, single=False),
        # Ultralytics re-finds a lost track up to track_buffer + 1 frames after it was last
        # seen; keeptrack's tracker counts that buffer in its own frames (frame_rate 30).
        "frame_rate": 30.0,
        "lost_track_buffer": frames_from_buffer(buffer, frame_rate) + 1,
        # ... and, as ByteTrack's reference, deletes a track re-found that late the next time
        # it is lost (its id is already on Ultralytics' removed list).
        "reference_lost_pool": True,
        "minimum_iou_threshold": 1.0 - match,
        "fuse_score": bool(args["fuse_score"]),
    }

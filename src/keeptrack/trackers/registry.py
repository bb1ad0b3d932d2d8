"""Trackers by name, and their constructor parameters as typed command-line options.

The CLI and benchmarks never list tracker parameters by hand: they read them from each
tracker's ``__init__`` signature and the ``Args:`` section of its docstring, so a parameter added
to a tracker appears as ``--tracker.<name>`` everywhere at once.
"""

from __future__ import annotations

import importlib
import inspect
import re
import types
import typing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, get_type_hints

from keeptrack.docstrings import terminal_text

if TYPE_CHECKING:
    from keeptrack.trackers.base import BaseTracker

#: CLI name -> "module:ClassName"; modules load lazily so optional trackers cost nothing.
TRACKERS: dict[str, str] = {
    "sort": "keeptrack.trackers.sort:SORTTracker",
    "bytetrack": "keeptrack.trackers.bytetrack:ByteTrackTracker",
    "deepsort": "keeptrack.trackers.deepsort:DeepSORTTracker",
    "ocsort": "keeptrack.trackers.ocsort:OCSORTTracker",
    "botsort": "keeptrack.trackers.botsort:BoTSORTTracker",
    "hybridsort": "keeptrack.trackers.hybridsort:HybridSORTTracker",
    "deepocsort": "keeptrack.trackers.deepocsort:DeepOCSORTTracker",
    "boosttrack": "keeptrack.trackers.boosttrack:BoostTrackTracker",
}

_OPTION_PREFIX = "--tracker."


@dataclass(frozen=True)
class TrackerParameter:
    """One constructor parameter: its name, converter, default and help text (the
    docstring's, as plain text for a terminal).

    ``optional`` parameters also accept ``none`` (e.g. ``--tracker.cmc none``).
    """

    name: str
    kind: type
    default: Any
    help: str
    optional: bool = False


def tracker_class(name: str) -> type[BaseTracker]:
    """The tracker class registered as ``name``.

    Raises:
        ValueError: For an unknown name, listing the valid ones.
    """
    key = name.strip().lower()
    if key not in TRACKERS:
        raise ValueError(f"unknown tracker {name!r}; choose one of: {', '.join(sorted(TRACKERS))}")
    module_name, class_name = TRACKERS[key].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def _docstring_args(cls: type) -> dict[str, str]:
    doc = inspect.getdoc(cls) or ""
    match = re.search(r"^Args:\n(.*?)(?:\n\S|\Z)", doc, flags=re.S | re.M)
    if not match:
        return {}
    helps: dict[str, str] = {}
    current = None
    for line in match.group(1).splitlines():
        head = re.match(r"^\s{4}(\w+):\s*(.*)$", line)
        if head:
            current = head.group(1)
            helps[current] = head.group(2)
        elif current:
            helps[current] += "\n" + line
    return {name: terminal_text(text) for name, text in helps.items()}


def _command_line_kind(hint: Any) -> tuple[type, bool] | None:
    """``(converter, accepts None)`` for a type a command line can spell, else ``None``.

    Plain numbers, bools and strings qualify, optional ones too (``float | None``, spelled
    ``none`` to switch a feature off), and so do unions that include ``str`` (such as
    ``cmc: str | CameraMotion | None``): the text form picks the named option.
    """
    if hint in (int, float, bool, str):
        return hint, False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        members = typing.get_args(hint)
        if str in members:
            return str, type(None) in members
        plain = [m for m in members if m is not type(None)]
        if len(plain) == 1 and len(members) == 2 and plain[0] in (int, float, bool):
            return plain[0], True
    return None


def tracker_parameters(cls: type[BaseTracker]) -> dict[str, TrackerParameter]:
    """Constructor parameters of ``cls`` that can be set from a command line (numbers, bools,
    strings and string options), with help text taken from the class docstring."""
    hints = get_type_hints(cls.__init__)
    helps = _docstring_args(cls)
    params = {}
    for name, p in inspect.signature(cls.__init__).parameters.items():
        kind = _command_line_kind(hints.get(name)) if name != "self" else None
        if kind is None:
            continue
        params[name] = TrackerParameter(name, kind[0], p.default, helps.get(name, ""), kind[1])
    return params


def _convert(param: TrackerParameter, text: str) -> Any:
    if param.optional and text.lower() == "none":
        return None
    if param.kind is bool:
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"--tracker.{param.name} expects true or false; got {text!r}")
    try:
        return param.kind(text)
    except ValueError:
        raise ValueError(
            f"--tracker.{param.name} expects a {param.kind.__name__}; got {text!r}"
        ) from None


def parse_tracker_options(cls: type[BaseTracker], args: list[str]) -> dict[str, Any]:
    """Turn ``["--tracker.name", "value", "--tracker.other=value"]`` into constructor kwargs.

    Raises:
        ValueError: For an unknown parameter (listing the valid ones), a missing value or a
            value of the wrong type.
    """
    params = tracker_parameters(cls)
    kwargs: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith(_OPTION_PREFIX):
            raise ValueError(
                f"unexpected argument {arg!r}; tracker options look like --tracker.NAME VALUE"
            )
        key, eq, value = arg[len(_OPTION_PREFIX) :].partition("=")
        key = key.replace("-", "_")
        if key not in params:
            valid = ", ".join(f"--tracker.{n}" for n in params)
            raise ValueError(f"{cls.__name__} has no parameter {key!r}; valid options: {valid}")
        if not eq:
            i += 1
            if i >= len(args):
                raise ValueError(f"--tracker.{key} needs a value")
            value = args[i]
        kwargs[key] = _convert(params[key], value)
        i += 1
    return kwargs


def create_tracker(name: str, **params: Any) -> BaseTracker:
    """Instantiate the tracker registered as ``name`` with ``params``."""
    return tracker_class(name)(**params)


# --- Search spaces for ``keeptrack tune`` --------------------------------------------------


@dataclass(frozen=True)
class SearchRange:
    """Inclusive range ``keeptrack tune`` samples one parameter from; the parameter's type
    (int or float, from the signature) decides integer or continuous sampling."""

    low: float
    high: float
    log: bool = False


#: BYTE's parameters, searched alike for ByteTrack and BoT-SORT.
_BYTE_SPACE = {
    "track_activation_threshold": SearchRange(0.4, 0.9),
    "high_conf_det_threshold": SearchRange(0.4, 0.8),
    "low_conf_det_threshold": SearchRange(0.05, 0.35),
    "lost_track_buffer": SearchRange(5, 120),
    "minimum_consecutive_frames": SearchRange(1, 5),
    "minimum_iou_threshold": SearchRange(0.05, 0.5),
    "second_iou_threshold": SearchRange(0.2, 0.8),
    "unconfirmed_iou_threshold": SearchRange(0.1, 0.6),
}

#: Per tracker, the parameters ``keeptrack tune`` searches and their ranges. Each range spans
#: the values the tracker's paper and reference configs use, widened about twofold; ranges that
#: depend on each other do not overlap (every low-score floor is below every high-score
#: boundary), so no sampled setting is invalid. Score thresholds assume probabilities in 0..1.
#: Frame counts are at 30 fps (trackers rescale them by ``frame_rate``). Parameters that switch
#: features (``cmc``, ``class_aware``, ``fuse_score``, promotion) stay as configured: a tuner
#: should not silently change what the tracker is. DeepSORT has no space: it needs appearance
#: features, which detection files do not carry.
SEARCH_SPACES: dict[str, dict[str, SearchRange]] = {
    "sort": {
        "track_activation_threshold": SearchRange(0.1, 0.8),
        "lost_track_buffer": SearchRange(5, 120),
        "minimum_consecutive_frames": SearchRange(1, 6),
        "minimum_iou_threshold": SearchRange(0.05, 0.6),
    },
    "bytetrack": _BYTE_SPACE,
    "ocsort": {
        "high_conf_det_threshold": SearchRange(0.4, 0.8),
        "lost_track_buffer": SearchRange(5, 120),
        "minimum_consecutive_frames": SearchRange(1, 5),
        "minimum_iou_threshold": SearchRange(0.05, 0.5),
        "delta_t": SearchRange(1, 5),
        "inertia": SearchRange(0.0, 0.5),
    },
    "botsort": _BYTE_SPACE,
    "hybridsort": {
        "high_conf_det_threshold": SearchRange(0.4, 0.8),
        "track_activation_threshold": SearchRange(0.4, 0.9),
        "lost_track_buffer": SearchRange(5, 120),
        "minimum_consecutive_frames": SearchRange(1, 5),
        "minimum_iou_threshold": SearchRange(0.05, 0.5),
        "delta_t": SearchRange(1, 5),
        "inertia": SearchRange(0.0, 0.2),
        "tcm_first_step_weight": SearchRange(0.0, 2.0),
        "tcm_byte_step_weight": SearchRange(0.0, 2.0),
    },
}


def search_space(name: str) -> dict[str, tuple[TrackerParameter, SearchRange]]:
    """Parameter -> (its description, its range) for tracker ``name``.

    Raises:
        ValueError: For an unknown tracker or one without a search space.
    """
    params = tracker_parameters(tracker_class(name))
    key = name.strip().lower()
    if key not in SEARCH_SPACES:
        raise ValueError(
            f"tracker {name!r} has no search space; tunable: {', '.join(SEARCH_SPACES)}"
        )
    return {p: (params[p], r) for p, r in SEARCH_SPACES[key].items()}

"""``keeptrack bench``'s tracker options: shared ones, and ones aimed at one tracker.

A bench compares trackers whose parameters differ, so one ``--tracker.high_conf_det_threshold``
must not stop a run that also includes SORT (which has no such parameter):

- ``--tracker.<param> VALUE`` goes to every benchmarked tracker that has ``<param>``; it is an
  error only when none has it;
- ``--tracker.<tracker>.<param> VALUE`` goes to that tracker alone, and wins over a shared
  value.
"""

from __future__ import annotations

from typing import Any

from keeptrack.trackers.registry import (
    TRACKERS,
    parse_tracker_options,
    tracker_class,
    tracker_parameters,
)

_PREFIX = "--tracker."


def split_tracker_options(names: list[str], args: list[str]) -> dict[str, dict[str, Any]]:
    """Constructor kwargs per tracker name from the command line's ``--tracker.*`` options.

    Raises:
        ValueError: For an option no benchmarked tracker has (listing the valid ones), one aimed
            at a tracker that is not benchmarked, a missing value or a value of the wrong type.
    """
    shared: list[tuple[str, str]] = []
    aimed: dict[str, list[tuple[str, str]]] = {name: [] for name in names}
    for key, value in _pairs(args):
        target, dot, param = key.partition(".")
        if dot and target in TRACKERS:
            if target not in aimed:
                raise ValueError(
                    f"--tracker.{key} is for {target}, which is not in --trackers "
                    f"({', '.join(names)})"
                )
            aimed[target].append((param, value))
        else:
            shared.append((key, value))
    params = {name: tracker_parameters(tracker_class(name)) for name in names}
    for key, _ in shared:
        if not any(key.replace("-", "_") in p for p in params.values()):
            valid = sorted({f"{_PREFIX}{n}" for p in params.values() for n in p})
            raise ValueError(
                f"{', '.join(names)}: no parameter {key!r}; valid options: {', '.join(valid)}"
            )
    options = {}
    for name in names:
        mine = [(k, v) for k, v in shared if k.replace("-", "_") in params[name]] + aimed[name]
        options[name] = parse_tracker_options(
            tracker_class(name), [f"{_PREFIX}{k}={v}" for k, v in mine]
        )
    return options


def _pairs(args: list[str]) -> list[tuple[str, str]]:
    """``[(key, value), ...]`` from ``--tracker.key value`` and ``--tracker.key=value``."""
    pairs = []
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith(_PREFIX):
            raise ValueError(
                f"unexpected argument {arg!r}; tracker options look like --tracker.NAME VALUE "
                "or --tracker.TRACKER.NAME VALUE"
            )
        key, eq, value = arg[len(_PREFIX) :].partition("=")
        if not eq:
            i += 1
            if i >= len(args):
                raise ValueError(f"--tracker.{key} needs a value")
            value = args[i]
        pairs.append((key, value))
        i += 1
    return pairs

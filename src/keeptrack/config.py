"""Tracker config files: what ``keeptrack tune`` writes and ``track`` / ``bench`` load.

A config is YAML (``.yaml`` / ``.yml``) or JSON (anything else) holding a mapping::

    tracker: bytetrack
    params:
      track_activation_threshold: 0.62
      lost_track_buffer: 41
    # anything else (the tune report, its held-out score) is kept for people, not read

Parameters are checked against the tracker's signature exactly as ``--tracker.<param>``
options are, so a config cannot set what the command line could not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keeptrack.trackers.registry import parse_tracker_options, tracker_class


@dataclass(frozen=True)
class TrackerConfig:
    """A tracker name and its constructor arguments."""

    tracker: str
    params: dict[str, Any]


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yaml", ".yml")


def load_tracker_config(path: str | Path) -> TrackerConfig:
    """Read and validate a config file.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: For a file that is not a mapping with a ``tracker`` name, an unknown
            tracker or parameter, or a value of the wrong type (naming the file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"tracker config not found: {path}")
    text = path.read_text()
    try:
        if _is_yaml(path):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as error:  # noqa: BLE001 - yaml and json raise their own error types
        kind = "YAML" if _is_yaml(path) else "JSON"
        raise ValueError(f"{path}: not valid {kind} ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("tracker"), str):
        raise ValueError(f"{path}: expected a mapping with 'tracker: <name>' and 'params: {{}}'")
    params = data.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError(f"{path}: 'params' must be a mapping of parameter names to values")
    try:
        cls = tracker_class(data["tracker"])
        options = [f"--tracker.{k}={'none' if v is None else v}" for k, v in params.items()]
        return TrackerConfig(data["tracker"].strip().lower(), parse_tracker_options(cls, options))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def save_tracker_config(
    path: str | Path, config: TrackerConfig, extra: dict[str, Any] | None = None
) -> Path:
    """Write ``config`` (and ``extra`` keys, e.g. a tune report) as YAML or JSON by suffix."""
    path = Path(path)
    data = {"tracker": config.tracker, "params": config.params, **(extra or {})}
    if _is_yaml(path):
        import yaml

        text = yaml.safe_dump(data, sort_keys=False)
    else:
        text = json.dumps(data, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def resolve_tracker(
    tracker: str, tracker_given: bool, config_path: str | Path | None, extra_args: list[str]
) -> TrackerConfig:
    """The tracker a command runs: the config's (if any), then ``--tracker.<param>`` options
    on top.

    Args:
        tracker: ``--tracker``'s value.
        tracker_given: Whether ``--tracker`` was typed (not its default).
        config_path: ``--tracker-config``.
        extra_args: The ``--tracker.<param>`` options.

    Raises:
        ValueError: For a ``--tracker`` that contradicts the config, or bad options.
    """
    if config_path is None:
        return TrackerConfig(tracker, parse_tracker_options(tracker_class(tracker), extra_args))
    config = load_tracker_config(config_path)
    if tracker_given and tracker.strip().lower() != config.tracker:
        raise ValueError(
            f"--tracker {tracker} contradicts --tracker-config {config_path} "
            f"(tracker: {config.tracker}); drop one of them"
        )
    overrides = parse_tracker_options(tracker_class(config.tracker), extra_args)
    return TrackerConfig(config.tracker, {**config.params, **overrides})

"""Where tracked frames go: an annotated video file, JSON lines, a live window.

Each sink is opened before the first frame (so a bad path fails before any work), takes one
frame at a time, and is closed in a ``finally`` by the pipeline, so an interrupted run still
leaves playable, complete-up-to-here files.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import supervision as sv

from keeptrack.io.files import FrameFlushedText, OutputError, SinkError, check_output_path

__all__ = [
    "DisplaySink",
    "JsonLinesSink",
    "OutputError",
    "SinkError",
    "StopRequested",
    "VideoFileSink",
    "check_output_path",
]

#: FourCC per container; ``mp4v`` is the MPEG-4 codec every OpenCV wheel can encode.
_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}


#: Free space below which the video writer stops: what the container needs to finalise
#: (an unfinished MP4 without its index does not play at all).
VIDEO_RESERVE_BYTES = 1 << 20


class StopRequested(Exception):
    """Raised by an interactive sink when the user asks to stop (``q`` in the live window)."""


class VideoFileSink:
    """Encodes frames into a video file with OpenCV's FFmpeg writer.

    Args:
        path: ``.mp4``/``.mov``/``.m4v`` (MPEG-4) or ``.avi``/``.mkv`` (Motion-JPEG).
        fps: Playback rate; use the source's so the video plays in real time.
        size: ``(width, height)`` of every frame.
    """

    def __init__(self, path: str | Path, fps: float, size: tuple[int, int]) -> None:
        self.path = check_output_path(path, "--output")
        codec = _CODECS.get(self.path.suffix.lower())
        if codec is None:
            raise SinkError(
                f"--output: unsupported video type {self.path.suffix!r}; use one of "
                f"{', '.join(_CODECS)}"
            )
        self.size = size
        self._writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter.fourcc(*codec), fps, size)
        if not self._writer.isOpened():
            raise SinkError(f"--output: OpenCV cannot write {self.path} with codec {codec}")
        self.frames = 0

    def write(self, image: np.ndarray) -> None:
        """Encode one frame.

        Raises:
            OutputError: When less than :data:`VIDEO_RESERVE_BYTES` are free on the output's
                file system (OpenCV's writer reports no write errors, and a full disk would
                leave a file without its index); the frames so far stay playable.
        """
        free = _free_bytes(self.path)
        if free is not None and free < VIDEO_RESERVE_BYTES:
            raise OutputError(
                f"--output: disk full writing {self.path} ({free // 1024} KiB free); it holds "
                f"the {self.frames} frames before this one"
            )
        if (image.shape[1], image.shape[0]) != self.size:  # streams may change resolution
            image = cv2.resize(image, self.size)
        self._writer.write(image)
        self.frames += 1

    def close(self) -> None:
        """Finish the file (writes the container index; without it players reject the file)."""
        self._writer.release()


def _free_bytes(path: Path) -> int | None:
    """Bytes available to this user on ``path``'s file system (``None`` if unknown)."""
    try:
        stats = os.statvfs(path.parent if str(path.parent) else ".")
    except (OSError, AttributeError):  # AttributeError: no statvfs (Windows)
        return None
    return stats.f_bavail * stats.f_frsize


class JsonLinesSink:
    """One JSON object per frame: ``{"frame", "time", "objects": [{"id", "box", ...}]}``.

    JSON lines stream well: each line is complete on its own, so a consumer can tail the file
    while tracking runs and a killed run leaves every finished frame readable.
    """

    def __init__(self, path: str | Path, fps: float) -> None:
        self.path = check_output_path(path, "--json-output")
        self.fps = fps
        self._file = FrameFlushedText(self.path, "--json-output")

    def write(self, frame_index: int, detections: sv.Detections) -> None:
        names = detections.data.get("class_name")
        objects: list[dict[str, Any]] = []
        for i in range(len(detections)):
            item: dict[str, Any] = {
                "id": int(detections.tracker_id[i]),  # type: ignore[index]  # set by update
                "box": [round(float(v), 2) for v in detections.xyxy[i]],
            }
            if detections.confidence is not None:
                item["score"] = round(float(detections.confidence[i]), 4)
            if detections.class_id is not None:
                item["class_id"] = int(detections.class_id[i])
            if names is not None:
                item["class_name"] = str(names[i])
            objects.append(item)
        record = {
            "frame": frame_index,
            "time": round((frame_index - 1) / self.fps, 4),
            "objects": objects,
        }
        self._file.write(json.dumps(record) + "\n")

    def close(self) -> None:
        self._file.close()


def display_available() -> bool:
    """Whether a window can be shown (always on Windows/macOS; on Linux, X11 or Wayland)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


class DisplaySink:
    """A live OpenCV window; ``q`` or Esc stops the run (the ByteTrack demo's realtime mode)."""

    def __init__(self, title: str = "keeptrack") -> None:
        if not display_available():
            raise SinkError(
                "--display: no graphical display here (DISPLAY and WAYLAND_DISPLAY "
                "are unset); write a video with --output instead"
            )
        self.title = title
        try:
            cv2.namedWindow(title, cv2.WINDOW_NORMAL)
        except cv2.error as error:
            raise SinkError(
                f"--display: OpenCV cannot open a window ({error.msg.strip()}); "
                "opencv-python-headless has no GUI support"
            ) from None

    def write(self, image: np.ndarray) -> None:
        cv2.imshow(self.title, image)
        if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
            raise StopRequested

    def close(self) -> None:
        with contextlib.suppress(cv2.error):
            cv2.destroyWindow(self.title)

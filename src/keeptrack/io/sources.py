"""Where frames come from: video files, webcams, network streams, image folders and
MOTChallenge sequence folders, all read the same way.

:func:`open_source` picks the reader from the ``--source`` text. Every source yields BGR frames
in order and knows its frame rate (trackers scale their time-based parameters with it), its
length when that is known, and whether it is live. A file that ends before its header says it
should raises :class:`TruncatedSourceError` after the last good frame, so callers can keep
everything already processed and still report the failure.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from keeptrack.io.mot import read_seqinfo

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_STREAM = re.compile(r"^(rtsp|rtsps|rtmp|http|https|udp|tcp)://", re.IGNORECASE)

#: Used when a source does not state its rate (image folders, some streams and containers).
DEFAULT_FPS = 30.0


class SourceError(RuntimeError):
    """A source that cannot be opened or read; the message says which and why."""


class TruncatedSourceError(SourceError):
    """A source that stopped delivering frames early.

    Attributes:
        frame_index: 1-based index of the first frame that could not be read; frames before
            it were delivered.
    """

    def __init__(self, message: str, frame_index: int) -> None:
        super().__init__(message)
        self.frame_index = frame_index


@dataclass
class FrameSource:
    """Common description of a source; subclasses implement :meth:`__iter__`.

    Attributes:
        name: What to call the source in messages and output names.
        fps: Frames per second given to the tracker and to the output video.
        length: Number of frames when known (files, folders), ``None`` for live sources.
        size: ``(width, height)`` of the frames, known before the first one is read so
            outputs can be opened (and fail) before any work is done.
        live: True for webcams and network streams (no end, no ETA).
    """

    name: str
    fps: float
    length: int | None
    size: tuple[int, int]
    live: bool = False

    def __iter__(self) -> Iterator[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file handle (safe to call twice)."""

    def _check_complete(self, frames_read: int) -> None:
        """Raise if a file of known length ended early, naming the first frame that failed."""
        if self.length is not None and frames_read < self.length:
            raise TruncatedSourceError(
                f"{self.name}: could not decode frame {frames_read + 1} of {self.length}; the "
                f"file is truncated or corrupt (frames 1-{frames_read} were read)",
                frames_read + 1,
            )

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class VideoCaptureSource(FrameSource):
    """A video file, webcam or stream read with ``cv2.VideoCapture`` (FFmpeg backend)."""

    def __init__(self, capture: cv2.VideoCapture, name: str, fps: float | None, live: bool):
        stated = capture.get(cv2.CAP_PROP_FPS)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        source_fps = stated if stated and np.isfinite(stated) and 0 < stated < 1000 else DEFAULT_FPS
        self._capture = capture
        self._first: np.ndarray | None = None
        size = (
            int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
        if min(size) <= 0:  # some streams state no size: read it from the first frame
            ok, self._first = capture.read()
            if not ok or self._first is None:
                raise SourceError(f"{name}: opened, but no frame could be read")
            size = (int(self._first.shape[1]), int(self._first.shape[0]))
        super().__init__(
            name=name,
            fps=fps or source_fps,
            length=None if live or count <= 0 else count,
            size=size,
            live=live,
        )

    def __iter__(self) -> Iterator[np.ndarray]:
        index = 0
        if self._first is not None:
            first, self._first = self._first, None
            index += 1
            yield first
        while True:
            with native_stderr_silenced():  # FFmpeg prints decode errors of corrupt files
                ok, frame = self._capture.read()
            if not ok or frame is None:
                break
            index += 1
            yield frame
        if self.live:
            return
        if index == 0:
            raise TruncatedSourceError(f"{self.name}: no frame could be decoded", 1)
        self._check_complete(index)

    def close(self) -> None:
        self._capture.release()


class ImageFolderSource(FrameSource):
    """Images in a folder, in natural sort order (``2.jpg`` before ``10.jpg``)."""

    def __init__(self, files: list[Path], name: str, fps: float) -> None:
        first = cv2.imread(str(files[0]), cv2.IMREAD_COLOR)
        if first is None:
            raise SourceError(f"{files[0]}: not a readable image")
        size = (int(first.shape[1]), int(first.shape[0]))
        super().__init__(name=name, fps=fps, length=len(files), size=size)
        self._files = files

    def __iter__(self) -> Iterator[np.ndarray]:
        for index, path in enumerate(self._files, start=1):
            frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if frame is None:
                raise TruncatedSourceError(f"{path}: not a readable image (frame {index})", index)
            yield frame


class PyAVSource(FrameSource):
    """A video file decoded with PyAV (``pip install av``): the fallback for files OpenCV's
    bundled FFmpeg cannot open."""

    def __init__(self, path: Path, fps: float | None) -> None:
        import av

        self._av = av
        try:
            self._container = av.open(str(path))
            stream = self._container.streams.video[0]
        except (av.error.FFmpegError, IndexError) as error:
            reason = getattr(error, "strerror", None) or error  # without PyAV's errno noise
            raise SourceError(f"cannot open video file {path}: {reason}") from None
        self._stream = stream
        rate = float(stream.average_rate or 0) or DEFAULT_FPS
        size = (int(stream.codec_context.width), int(stream.codec_context.height))
        super().__init__(name=str(path), fps=fps or rate, length=stream.frames or None, size=size)

    def __iter__(self) -> Iterator[np.ndarray]:
        index = 0
        try:
            for frame in self._container.decode(self._stream):
                index += 1
                yield frame.to_ndarray(format="bgr24")
        except self._av.error.FFmpegError as error:
            raise TruncatedSourceError(
                f"{self.name}: could not decode frame {index + 1} ({error})", index + 1
            ) from None
        self._check_complete(index)

    def close(self) -> None:
        self._container.close()


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _images(folder: Path, extension: str | None = None) -> list[Path]:
    suffixes = (extension.lower(),) if extension else IMAGE_EXTENSIONS
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in suffixes]
    return sorted(files, key=_natural_key)


def _open_folder(folder: Path, fps: float | None) -> FrameSource:
    if (folder / "seqinfo.ini").is_file():
        info = read_seqinfo(folder)
        image_dir = folder / info.image_dir
        if not image_dir.is_dir():
            raise SourceError(
                f"{folder}: seqinfo.ini names image folder {info.image_dir!r}, which does not exist"
            )
        files = _images(image_dir, info.image_ext)
        if len(files) < info.length:
            raise SourceError(
                f"{image_dir}: seqinfo.ini says {info.length} frames but {len(files)} "
                f"'{info.image_ext}' images are there"
            )
        return ImageFolderSource(files[: info.length], info.name, fps or info.frame_rate)
    files = _images(folder)
    if not files:
        raise SourceError(f"{folder}: no images ({', '.join(IMAGE_EXTENSIONS)}) in this folder")
    return ImageFolderSource(files, folder.name, fps or DEFAULT_FPS)


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Silence what C libraries print to the process's stderr (file descriptor 2).

    OpenCV and FFmpeg report a failed open with a dozen lines of ``[ WARN:0@1.4] global
    cap_v4l.cpp ...`` before OpenCV returns a closed capture; keeptrack then says in one line
    what went wrong, so the noise only hides that line. Python's own ``sys.stderr`` is flushed
    first and works as before afterwards.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no real fd 2 (embedded interpreters)
        yield
        return
    level = cv2.utils.logging.getLogLevel()
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
        yield
    finally:
        cv2.utils.logging.setLogLevel(level)
        os.dup2(saved, 2)
        os.close(saved)


def _open_capture(target: str | int, name: str, fps: float | None, live: bool) -> FrameSource:
    with native_stderr_silenced():
        capture = cv2.VideoCapture(target)
        opened = capture.isOpened()
    if not opened:
        capture.release()
        if isinstance(target, int):
            raise SourceError(f"no webcam at index {target} (is a camera connected and free?)")
        what = "stream" if live else "video file"
        raise SourceError(f"cannot open {what} {name}: OpenCV/FFmpeg could not read it")
    return VideoCaptureSource(capture, name, fps, live)


def open_source(spec: str | Path, fps: float | None = None) -> FrameSource:
    """Open whatever ``spec`` names.

    Video files go through OpenCV; when it cannot open one and PyAV is installed, PyAV tries.

    Args:
        spec: A webcam index (``"0"``), a stream URL (``rtsp://``, ``http://``, ...), a
            MOTChallenge sequence folder (holding ``seqinfo.ini``), a folder of images, or a
            video file.
        fps: Frame rate to use instead of the one the source states (containers can lie:
            PETS09's ``vtest.avi`` says 10 fps for a 7 fps recording).

    Raises:
        SourceError: When the source does not exist or cannot be opened.
    """
    if fps is not None and not fps > 0:
        raise SourceError(f"fps must be positive; got {fps}")
    text = str(spec).strip()
    if text.isdigit():
        return _open_capture(int(text), f"webcam {text}", fps, live=True)
    if _STREAM.match(text):
        return _open_capture(text, text, fps, live=True)
    path = Path(text).expanduser()
    if path.is_dir():
        return _open_folder(path, fps)
    if not path.exists():
        raise SourceError(f"source not found: {path}")
    try:
        return _open_capture(str(path), str(path), fps, live=False)
    except SourceError:
        if importlib.util.find_spec("av") is None:
            raise
        return PyAVSource(path, fps)

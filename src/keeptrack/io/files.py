"""Output files that fail early and never end half-written.

Every output of ``keeptrack track`` is checked (its folder created, writable) before the first
frame, and text outputs are written one whole frame at a time, so a run that dies -- disk full,
Ctrl-C, SIGTERM -- leaves files that hold every complete frame and nothing else.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any


class SinkError(RuntimeError):
    """An output that cannot be created (folder not writable, unsupported format, no display)."""


class OutputError(SinkError):
    """An output that failed while the run was writing it (disk full, device gone).

    Raised after the output was cut back to the last complete frame, so what it holds stays
    readable; the pipeline stops, closes every output and reports it.
    """


def check_output_path(path: str | Path, option: str) -> Path:
    """Fail early if ``path`` cannot be written; create its folder if it is missing.

    ``keeptrack eval --output-dir`` creates its folder too; the command line prints the
    folders it made, so a typo such as ``--output reslts/out.mp4`` is visible at once.

    Raises:
        SinkError: When ``path`` is a folder, its folder cannot be created, or is not
            writable (read-only mount, permissions).
    """
    path = Path(path).expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise SinkError(f"{option}: {path} is a folder; give a file name")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SinkError(f"{option}: cannot create folder {folder} ({error.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SinkError(f"{option}: folder {folder} is not writable")
    return path


def open_for_writing(path: Path, option: str) -> Any:
    """``path.open("w")`` with the reason in a :class:`SinkError` (read-only file system,
    permissions; ``os.access`` cannot see a read-only mount when running as root)."""
    try:
        return path.open("w")
    except OSError as error:
        raise SinkError(f"{option}: cannot write {path} ({error.strerror})") from None


class FrameFlushedText:
    """A text file written one frame at a time, flushed after each, and cut back to the last
    complete frame if a write fails (disk full) or is interrupted, so it never ends in half a
    line.

    Args:
        path: The file (its folder must exist: see :func:`check_output_path`).
        option: The command-line option that named it, for messages.
    """

    def __init__(self, path: Path, option: str) -> None:
        self.path, self.option = path, option
        self._handle = open_for_writing(path, option)
        self._good = 0  # bytes of complete frames on disk

    def write(self, text: str) -> None:
        """Append one frame's text and flush it.

        Raises:
            OutputError: When the write fails; the file is cut back to the last whole frame.
        """
        try:
            self._handle.write(text)
            self._handle.flush()
        except OSError as error:
            self._cut_back()
            raise OutputError(
                f"{self.option}: cannot write {self.path} ({error.strerror}); it holds every "
                "frame before this one"
            ) from None
        self._good = self._handle.tell()

    def _cut_back(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            os.truncate(self.path, self._good)

    def close(self) -> None:
        """Close the file, dropping any partial frame an interrupted write left (idempotent)."""
        if self._handle.closed:
            return
        with contextlib.suppress(OSError):
            self._handle.flush()
        with contextlib.suppress(OSError, ValueError):
            if self._handle.tell() != self._good:
                self._cut_back()
        with contextlib.suppress(OSError):
            self._handle.close()

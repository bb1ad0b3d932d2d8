"""How ``keeptrack track`` ends when something goes wrong: one line and an exit code.

The pipeline already stops cleanly and closes every output for a truncated source, a failed
output (disk full) and ``KeyboardInterrupt``; this module treats SIGTERM and SIGHUP like Ctrl-C,
keeps a second signal from breaking the finalisation of the outputs, and maps how a run ended
to what the user is told. Inside the pipeline's loop a signal only asks it to stop after the
frame in hand: an exception raised at an arbitrary point would arrive inside the tracker's
compiled step (which reports it as a ``SystemError``, not an interrupt) or halfway through
writing a frame. "N frames" are the frames every output holds; the
frame being written when a run stopped may also be in the outputs written before the one that
failed (each frame goes to the video, then the MOT file, then the JSON lines):

===========================  ====  ===========================================================
how the run ended            exit  what is said (stderr, one line)
===========================  ====  ===========================================================
source read to its end       0     the summary table
``q`` in the window          0     the summary table
truncated or corrupt source  1     ``error: ... could not decode frame k ... outputs hold ...``
output failed (disk full)    1     ``error: --mot-output: cannot write ... (No space left ...``
Ctrl-C (SIGINT)              130   ``interrupted after N frames; outputs saved``
SIGTERM / SIGHUP             143 /  ``terminated by SIGTERM after N frames; outputs saved``
                             129
===========================  ====  ===========================================================
"""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from keeptrack.cli.eval import fail
from keeptrack.pipeline import RunResult

#: Exit code of a run stopped with Ctrl-C (128 + SIGINT, the shell convention).
EXIT_INTERRUPTED = 128 + signal.SIGINT

#: Signals that stop a run the way Ctrl-C does (outputs closed, exit code ``128 + signal``).
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class SignalWatch:
    """While active, the first stop signal raises ``KeyboardInterrupt`` (or, between
    :meth:`between_frames`, is only recorded for the loop to see); later ones are only
    recorded, so closing the outputs (writing a video's index) cannot be cut short.

    Attributes:
        signum: The first stop signal received, or ``None``.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}
        self._deferred = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        del frame
        if self.signum is None:
            self.signum = signum
            if not self._deferred:
                raise KeyboardInterrupt

    def stop_requested(self) -> bool:
        """Whether a stop signal has come in (the pipeline's ``should_stop``)."""
        return self.signum is not None

    @contextlib.contextmanager
    def between_frames(self) -> Iterator[Callable[[], bool]]:
        """While active, a stop signal waits for the loop: yields the ``should_stop`` check."""
        self._deferred = True
        try:
            yield self.stop_requested
        finally:
            self._deferred = False

    def __enter__(self) -> SignalWatch:
        if threading.current_thread() is threading.main_thread():  # handlers need it
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def what(self) -> tuple[str, int]:
        """``(how the user stopped the run, exit code)`` once a stop signal came in."""
        signum = signal.SIGINT if self.signum is None else self.signum
        if signum == signal.SIGINT:
            return "interrupted", EXIT_INTERRUPTED
        return f"terminated by {signal.Signals(signum).name}", 128 + int(signum)


#: The watch of the command running now (a command runs once per process).
_active: list[SignalWatch] = []


def current_stop() -> tuple[str, int]:
    """``(how the user stopped the run, exit code)`` as the innermost :func:`stops_cleanly`
    saw it (Ctrl-C when no signal was recorded); for commands that report stops themselves."""
    return _active[-1].what() if _active else ("interrupted", EXIT_INTERRUPTED)


def between_frames() -> contextlib.AbstractContextManager[Callable[[], bool]]:
    """:meth:`SignalWatch.between_frames` of the running command (a no-op check outside one)."""
    return _active[-1].between_frames() if _active else contextlib.nullcontext(lambda: False)


def stops_cleanly(command: Callable[..., None]) -> Callable[..., None]:
    """Run a command under a :class:`SignalWatch`; a stop signal before the pipeline's loop
    (loading a model, compiling the tracker) exits with its code and one line too."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        with SignalWatch() as watch:
            _active.append(watch)
            try:
                command(*args, **kwargs)
            except KeyboardInterrupt:
                how, code = watch.what()
                Console(stderr=True).print(f"{how} before the first frame; nothing was written")
                raise typer.Exit(code) from None
            finally:
                _active.remove(watch)

    return wrapper


def setup_notes(
    console: Console, detector: Any, folders: list[Path], outputs: tuple[Any, ...]
) -> None:
    """What the user should know before the first frame: output folders that were created (a
    typo in a path shows here), det-file scores that were rescaled, that a MOTChallenge file
    mixes every class the detector keeps, and that a run without outputs saves nothing.
    ``outputs`` is ``(--output, --mot-output, --json-output, --display)``."""
    for folder in folders:
        console.print(f"note: created folder {escape(str(folder))}")
    classes = getattr(getattr(detector, "filter", None), "classes", None)
    if outputs[1] is not None and classes is None and len(detector.class_names or {}) > 1:
        console.print(
            "note: --mot-output gets every class the detector keeps, and MOTChallenge files "
            "have no class column; add --classes person to score it as MOTChallenge "
            "(pedestrians)",
            soft_wrap=True,
        )
    score_note = getattr(getattr(detector, "detector", None), "score_note", None)
    if score_note:
        console.print(f"note: {escape(score_note)}", soft_wrap=True)
    if not any(outputs):
        console.print(
            "note: no --output, --mot-output, --json-output or --display given, so nothing "
            "will be saved; add --output out.mp4 for an annotated video or --mot-output "
            "results.txt for the tracks",
            soft_wrap=True,
        )


def missing_folders(paths: list[Path | None]) -> list[Path]:
    """Parent folders of ``paths`` that do not exist yet (each once, in order)."""
    folders: list[Path] = []
    for path in paths:
        if path is None:
            continue
        folder = Path(path).expanduser().parent
        if not folder.exists() and folder not in folders:
            folders.append(folder)
    return folders


def finish_run(result: RunResult) -> None:
    """Exit the way the run ended (see the module table); return only for a normal end."""
    watch = _active[-1] if _active else SignalWatch()
    if result.stopped == "truncated":
        fail(f"{result.error} -- outputs hold the {result.frames} frames read")
    if result.stopped == "output":
        fail(f"{result.error} (stopped after {result.frames} frames; other outputs saved)")
    if result.stopped == "interrupted":
        how, code = watch.what()
        Console(stderr=True).print(f"{how} after {result.frames} frames; outputs saved")
        raise typer.Exit(code)

"""One loop from frames to tracks to outputs, timed stage by stage.

``source -> detector -> tracker -> (annotator -> video / window) + (MOT / JSON results)``.
``keeptrack track``, ``keeptrack demo``, the end-to-end benchmark and the tests all run this
loop, so what is measured is what users run. The loop never raises for the ordinary ways a run
ends early -- a truncated file, Ctrl-C, ``q`` in the window -- it stops, closes every output so
the processed part is kept, and says why in :class:`RunResult`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import supervision as sv

from keeptrack.annotate import TrackAnnotator
from keeptrack.detections import tracked_rows
from keeptrack.detectors import Detector
from keeptrack.io.files import OutputError
from keeptrack.io.mot import MOTResultsWriter
from keeptrack.io.sinks import DisplaySink, JsonLinesSink, StopRequested, VideoFileSink
from keeptrack.io.sources import FrameSource, TruncatedSourceError

#: Where a run's time goes. ``warm-up`` is the tracker's first ``update``, which compiles the
#: tracker's step the first time it runs after installation (seconds once, then cached); it is
#: kept apart so that ``track`` measures tracking.
STAGES = ("decode", "detect", "warm-up", "track", "annotate", "encode", "write")

#: End of the source; frames themselves may be ``None`` (detection-file sequences without images).
_END: Any = object()


@dataclass
class Outputs:
    """Everything a run writes; each part is optional.

    Attributes:
        video: Annotated video file.
        display: Live window.
        mot: MOTChallenge results file, written frame by frame.
        json: JSON lines, one per frame.
        annotator: How frames are drawn (needed when ``video`` or ``display`` is set).
    """

    video: VideoFileSink | None = None
    display: DisplaySink | None = None
    mot: MOTResultsWriter | None = None
    json: JsonLinesSink | None = None
    annotator: TrackAnnotator | None = None

    def close(self) -> None:
        """Close every output, even if one of them fails to close."""
        for sink in (self.video, self.display, self.mot, self.json):
            if sink is not None:
                with contextlib.suppress(Exception):  # closing the others matters more
                    sink.close()


@dataclass
class RunResult:
    """What happened in a run.

    Attributes:
        frames: Frames fully processed (and written to every output).
        track_ids: Every track id reported.
        seconds: Wall time per stage (see :data:`STAGES`).
        stopped: Why the run ended before the source did: ``"interrupted"`` (Ctrl-C, a
            signal the caller turned into ``KeyboardInterrupt``, or ``should_stop``),
            ``"quit"`` (``q`` in the window), ``"truncated"``, ``"output"`` (an output could
            not be written, e.g. disk full) or ``"limit"``; ``None`` if the source was read to
            its end.
        error: The source error behind ``"truncated"`` (it names the frame index), or the
            :class:`~keeptrack.io.files.OutputError` behind ``"output"``.
    """

    frames: int = 0
    track_ids: set[int] = field(default_factory=set)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    stopped: str | None = None
    error: TruncatedSourceError | OutputError | None = None

    def fps(self, *stages: str) -> float:
        """Frames per second of the given stages alone (0 when nothing ran); ``track`` alone
        counts the frames after the warm-up frame."""
        spent = sum(self.seconds[s] for s in stages)
        frames = self.frames - 1 if stages == ("track",) else self.frames
        return frames / spent if spent > 0 else 0.0


def mot_rows(frame_index: int, tracked: sv.Detections) -> np.ndarray:
    """``(N, 7)`` MOTChallenge rows ``[frame, id, left, top, width, height, score]``."""
    assert tracked.tracker_id is not None  # every tracker's output has ids
    xyxy = tracked.xyxy.astype(np.float64)
    score = tracked.confidence if tracked.confidence is not None else np.ones(len(tracked))
    return np.column_stack(
        [
            np.full(len(tracked), frame_index),
            tracked.tracker_id,
            xyxy[:, :2],
            xyxy[:, 2:] - xyxy[:, :2],
            score,
        ]
    )


def run_pipeline(
    source: FrameSource,
    detector: Detector,
    tracker: Any,
    outputs: Outputs,
    max_frames: int | None = None,
    on_frame: Callable[[int, RunResult], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunResult:
    """Track every frame of ``source`` and write the outputs; always closes the outputs.

    Args:
        source: Frames to read.
        detector: Turns a frame into ``supervision.Detections``.
        tracker: Any keeptrack tracker (``update(detections, frame=...)``).
        outputs: Where results go; closed when the run ends, however it ends.
        max_frames: Stop after this many frames (``stopped == "limit"``).
        on_frame: Called after each frame with its 1-based index (progress bars).
        should_stop: Asked before each frame; ``True`` ends the run as ``"interrupted"``. A
            signal handler that sets a flag for it stops the run between frames, where an
            exception raised by the handler could land inside the tracker's compiled step.
    """
    result = RunResult()
    seconds = result.seconds
    draw = outputs.video is not None or outputs.display is not None
    annotator = outputs.annotator
    if draw and annotator is None:
        raise ValueError("outputs.annotator is needed to write a video or show a window")
    frames = iter(source)
    clock = time.perf_counter
    try:
        while max_frames is None or result.frames < max_frames:
            if should_stop is not None and should_stop():
                result.stopped = "interrupted"
                break
            start = clock()
            frame = next(frames, _END)
            decoded = clock()
            seconds["decode"] += decoded - start
            if frame is _END:
                break
            index = result.frames + 1
            detections = detector.detect(frame)
            detected = clock()
            # A detector glitch (a NaN or empty box) must not end a long run: such rows are
            # dropped with one warning per kind of problem.
            tracked = tracked_rows(tracker.update(detections, frame=frame, on_invalid="drop"))
            track_done = clock()
            seconds["detect"] += detected - decoded
            seconds["track" if index > 1 else "warm-up"] += track_done - detected
            if draw and annotator is not None:
                image = annotator.annotate(frame.copy(), tracked)
                annotated = clock()
                if outputs.video is not None:
                    outputs.video.write(image)
                if outputs.display is not None:
                    outputs.display.write(image)
                seconds["annotate"] += annotated - track_done
                track_done = clock()
                seconds["encode"] += track_done - annotated
            if outputs.mot is not None:
                outputs.mot.write(mot_rows(index, tracked))
            if outputs.json is not None:
                outputs.json.write(index, tracked)
            seconds["write"] += clock() - track_done
            result.frames = index
            result.track_ids.update(int(i) for i in tracked.tracker_id)
            if on_frame is not None:
                on_frame(index, result)
        else:
            result.stopped = "limit"
    except TruncatedSourceError as error:
        result.stopped, result.error = "truncated", error
    except OutputError as error:  # the failed output was cut back to its last whole frame
        result.stopped, result.error = "output", error
    except StopRequested:
        result.stopped = "quit"
    except KeyboardInterrupt:
        result.stopped = "interrupted"
    finally:
        outputs.close()
        source.close()
    return result

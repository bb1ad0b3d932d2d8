"""``keeptrack track``: a video, webcam, stream or image folder in; an annotated video, a
MOTChallenge results file and JSON lines out.

Everything that can be wrong with the inputs (missing source, unknown tracker or parameter,
detector package not installed, output folder not writable, bad det file) is checked before
the first frame and reported as one line, without a traceback; missing output folders are
created. A run that ends early -- truncated or corrupt video, disk full, Ctrl-C, SIGTERM, ``q``
in the window -- still closes every output, so what was processed is kept, and the exit code
says how it ended (0 done, 1 error, 130 Ctrl-C, 143 SIGTERM; :mod:`keeptrack.cli.faults`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from keeptrack.annotate import TrackAnnotator
from keeptrack.batch import DetectorSettings, detections_for
from keeptrack.cli import faults
from keeptrack.cli.batch import run_batch, wants_batch
from keeptrack.cli.eval import fail
from keeptrack.cli.reid import REID_HELP, check_reid, prepare_reid
from keeptrack.config import resolve_tracker
from keeptrack.detectors import DETECTORS, DetectorError, create_detector
from keeptrack.io.frameless import open_tracking_source
from keeptrack.io.mot import MOTResultsWriter
from keeptrack.io.sequence import load_sequence, resolve_cmc
from keeptrack.io.sinks import (
    DisplaySink,
    JsonLinesSink,
    SinkError,
    VideoFileSink,
    check_output_path,
)
from keeptrack.io.sources import FrameSource, SourceError
from keeptrack.motion.camera.base import FILE
from keeptrack.pipeline import STAGES, Outputs, RunResult, run_pipeline
from keeptrack.trackers.registry import (
    TRACKERS,
    parse_tracker_options,
    tracker_class,
    tracker_parameters,
)

#: Exit code of a run stopped with Ctrl-C (128 + SIGINT, the shell convention).
EXIT_INTERRUPTED = faults.EXIT_INTERRUPTED

SETUP_ERRORS = (SourceError, DetectorError, SinkError, ValueError, FileNotFoundError)


def tracker_builder(
    name: str,
    extra_args: list[str],
    base: dict[str, Any] | None = None,
    source: str | None = None,
) -> Callable[[float], Any]:
    """Check the tracker name and its ``--tracker.<param>`` options now (before any file is
    opened); build the tracker once the source's frame rate is known. ``base`` holds
    parameters from a config file, which the options override.

    ``--tracker.cmc file`` replays the camera motion of a MOTChallenge ``source`` folder's
    ``gmc.txt``, one warp per frame.

    Raises:
        ValueError: Unknown tracker or parameter (listing the valid ones), bad value, or
            ``cmc file`` for a source that is not a MOTChallenge sequence folder.
        FileNotFoundError: ``cmc file`` for a folder without ``gmc.txt``.
    """
    cls = tracker_class(name)
    params = {**(base or {}), **parse_tracker_options(cls, extra_args)}
    if params.get("cmc") == FILE:
        folder = Path(source or "").expanduser()
        if source is None or not (folder / "seqinfo.ini").is_file():
            raise ValueError(
                "--tracker.cmc file replays <sequence>/gmc.txt, so --source must be a "
                f"MOTChallenge sequence folder (with seqinfo.ini); got {source!r}"
            )
        params = resolve_cmc(params, load_sequence(folder, detections=False, gt=False))

    def build(frame_rate: float, **fixed: Any) -> Any:
        """``fixed``: arguments the command itself sets (the ``--reid`` model)."""
        if "frame_rate" in tracker_parameters(cls):  # an explicit --tracker.frame_rate wins
            params.setdefault("frame_rate", frame_rate)
        return cls(**params, **fixed)

    return build


def parse_size(text: str | None) -> tuple[int, int] | None:
    """``"512x384"`` -> ``(512, 384)``.

    Raises:
        ValueError: For anything that is not two positive integers joined by ``x``.
    """
    if text is None:
        return None
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit() and int(width) and int(height)):
        raise ValueError(f"--input-size expects WIDTHxHEIGHT such as 512x384; got {text!r}")
    return int(width), int(height)


def open_outputs(
    source: FrameSource,
    output: Path | None,
    mot_output: Path | None,
    json_output: Path | None,
    display: bool,
    annotator: TrackAnnotator,
) -> Outputs:
    """Open every requested output, or close the ones already opened and raise."""
    for path, option in ((mot_output, "--mot-output"), (json_output, "--json-output")):
        if path is not None:
            check_output_path(path, option)
    outputs = Outputs(annotator=annotator)
    try:
        if output is not None:
            outputs.video = VideoFileSink(output, source.fps, source.size)
        if display:
            outputs.display = DisplaySink(f"keeptrack - {source.name}")
        if mot_output is not None:
            outputs.mot = MOTResultsWriter(mot_output)
        if json_output is not None:
            outputs.json = JsonLinesSink(json_output, source.fps)
    except BaseException:
        outputs.close()
        raise
    return outputs


def run_with_progress(
    source: FrameSource,
    detector: Any,
    tracker: Any,
    outputs: Outputs,
    max_frames: int | None,
    console: Console,
) -> RunResult:
    """:func:`run_pipeline` under a rich progress bar (frames, frames/s, ETA for files)."""
    total = source.length
    if max_frames is not None:
        total = max_frames if total is None else min(total, max_frames)
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[fps]:>6.1f} fps"),
        TimeElapsedColumn(),
    ]
    if total is not None:
        columns.append(TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(source.name[-40:], total=total, fps=0.0)

        def update(index: int, result: RunResult) -> None:
            if index % 5 == 0 or index == total:
                progress.update(task, completed=index, fps=result.fps(*STAGES))

        with faults.between_frames() as should_stop:
            result = run_pipeline(
                source, detector, tracker, outputs, max_frames, update, should_stop
            )
        progress.update(task, completed=result.frames, fps=result.fps(*STAGES))
    return result


def summary_table(result: RunResult, written: list[Path]) -> Table:
    """Frames, tracks, detector and tracker speed, the time split and the files written."""
    table = Table(show_header=False)
    table.add_row("frames", str(result.frames))
    table.add_row("tracks", str(len(result.track_ids)))
    table.add_row("detector", f"{result.fps('detect'):.1f} fps")
    table.add_row("tracker", f"{result.fps('track'):.1f} fps")
    table.add_row("overall", f"{result.fps(*STAGES):.1f} fps")
    total = sum(result.seconds.values()) or 1.0
    split = ", ".join(
        f"{s} {result.seconds[s]:.2f}s ({100 * result.seconds[s] / total:.0f}%)"
        for s in STAGES
        if result.seconds[s] > 0
    )
    table.add_row("time", split)
    if result.seconds["warm-up"] > 1.0:
        table.add_row("warm-up", "the tracker's first update compiled its step (once; cached)")
    for path in written:
        table.add_row("wrote", str(path))
    return table


def finish(result: RunResult, written: list[Path], console: Console) -> None:
    """Print the summary, then exit non-zero when the run did not end normally."""
    console.print(summary_table(result, written))
    faults.finish_run(result)


def split_arguments(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Positional sources apart from the ``--tracker.<name> value`` options among them.

    Click hands both to the positional argument (``track`` passes unknown options through for
    :func:`~keeptrack.trackers.registry.parse_tracker_options`); an option's value is the next
    token unless it is written ``--tracker.<name>=value``. Any other token starting with ``-``
    goes with the options too, so it is reported as an unknown option, not as a missing file.
    """
    sources: list[str] = []
    options: list[str] = []
    tokens = list(tokens)
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("-") or token == "-":
            sources.append(token)
            continue
        options.append(token)
        if token.startswith("--tracker.") and "=" not in token and tokens:
            options.append(tokens.pop(0))
    return sources, options


@faults.stops_cleanly
def track(
    ctx: typer.Context,
    sources: Annotated[
        list[str] | None,
        typer.Argument(
            help="What to track, as for --source (positional sources come first).",
            metavar="SOURCE",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            "-s",
            help="Video file, webcam index (0), rtsp/http URL, image folder or MOTChallenge "
            "sequence folder; repeat it, or give a glob, a .txt list, a folder of videos or of "
            "sequences, to track many (with --output-dir).",
        ),
    ] = None,
    detector: Annotated[
        str, typer.Option("--detector", "-d", help=f"One of: {', '.join(DETECTORS)}.")
    ] = "ssd-mobilenet",
    tracker: Annotated[
        str,
        typer.Option(
            "--tracker",
            "-t",
            help=f"One of: {', '.join(TRACKERS)}; set its parameters with --tracker.<name> value.",
        ),
    ] = "bytetrack",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Annotated video (.mp4, .avi, ...).")
    ] = None,
    mot_output: Annotated[Path | None, typer.Option(help="MOTChallenge results file.")] = None,
    json_output: Annotated[Path | None, typer.Option(help="JSON lines, one per frame.")] = None,
    display: Annotated[bool, typer.Option("--display", help="Live window; q quits.")] = False,
    detections: Annotated[
        Path | None,
        typer.Option(
            help="MOT det file for --detector file (default for a MOTChallenge sequence "
            "folder: its det/det.txt)."
        ),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model weights / id for the detector.")] = None,
    config: Annotated[
        str | None, typer.Option(help="OpenCV DNN network config (.pbtxt, .prototxt).")
    ] = None,
    classes: Annotated[str | None, typer.Option(help="Classes to keep, e.g. person,car.")] = None,
    confidence: Annotated[
        float | None, typer.Option(help="Detection score floor (detector default if unset).")
    ] = None,
    nms_iou: Annotated[float | None, typer.Option(help="Extra NMS at this IoU.")] = None,
    input_size: Annotated[
        str | None,
        typer.Option(
            help="ssd-mobilenet input WIDTHxHEIGHT (default 300x300; larger finds "
            "smaller objects, slower)."
        ),
    ] = None,
    fps: Annotated[
        float | None, typer.Option(help="Frame rate to use instead of the source's.")
    ] = None,
    show_confidence: Annotated[bool, typer.Option(help="Scores in labels.")] = False,
    trace_length: Annotated[int, typer.Option(help="Frames of trail per object (0: none).")] = 30,
    max_frames: Annotated[int | None, typer.Option(help="Stop after this many frames.")] = None,
    tracker_config: Annotated[
        Path | None,
        typer.Option(help="Tracker and parameters from a YAML/JSON file (keeptrack tune's)."),
    ] = None,
    output_dir: Annotated[
        Path | None,
        typer.Option(help="Many sources: <name>.txt / .jsonl / .mp4 per source go here."),
    ] = None,
    save: Annotated[
        str, typer.Option(help="Many sources: outputs per source, from mot,json,video.")
    ] = "mot,json",
    workers: Annotated[
        int | None, typer.Option(help="Many sources: local processes (default: all cores).")
    ] = None,
    executor: Annotated[
        str, typer.Option(help="Many sources: local (process pool) or ray.")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (default: start a local Ray).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Many sources: skip those with complete outputs.")
    ] = False,
    det_scores: Annotated[
        str,
        typer.Option(
            help="--detector file: scores outside [0, 1] are an error (reject), rescaled "
            "over the file (minmax) or clipped (clip)."
        ),
    ] = "reject",
    class_ids: Annotated[
        str,
        typer.Option(
            help="Class ids in --json-output and for the tracker: detector (the detector's own: "
            "ssd-mobilenet COCO 91-ids, person 1; ultralytics COCO 0..79, person 0; file: "
            "person 1) or coco80 (0-based COCO by class name, person 0; -1 outside COCO)."
        ),
    ] = "detector",
    reid: Annotated[str | None, typer.Option(help=REID_HELP)] = None,
    reid_save: Annotated[
        Path | None, typer.Option(help="With --reid adapt: save the learnt head (.npz).")
    ] = None,
) -> None:
    """Track objects in a video, webcam, stream or image folder; write an annotated video and
    results.

    Sources come as arguments (keeptrack track video.mp4) or with --source; several of either
    track many. The MOT results file has no class column and holds every class the detector
    keeps: add --classes person to score it as MOTChallenge (pedestrians). --json-output
    names each object's class; --class-ids says how they are numbered.
    """
    console = Console(stderr=True)
    try:
        positional, tracker_args = split_arguments(sources or [])
        source = positional + (source or [])
        if not source:
            raise ValueError("give a source: keeptrack track video.mp4 (or --source video.mp4)")
        # by name: typer vendors its own click, so the enum classes differ between versions
        given = getattr(ctx.get_parameter_source("tracker"), "name", "DEFAULT") != "DEFAULT"
        chosen = resolve_tracker(tracker, given, tracker_config, [*tracker_args, *ctx.args])
        if wants_batch(source, output_dir):
            if reid is not None:
                raise ValueError("--reid runs on one source at a time; drop --output-dir")
            settings = DetectorSettings(
                name=detector,
                model=model,
                config=config,
                detections=None if detections is None else str(detections),
                classes=tuple(classes.split(",")) if classes else None,
                confidence=confidence,
                nms_iou=nms_iou,
                input_size=parse_size(input_size),
                det_scores=det_scores,
                class_ids=class_ids,
            )
            options = {"fps": fps, "max_frames": max_frames, "trace_length": trace_length}
            options["show_confidence"] = show_confidence
            run_batch(source, output_dir, chosen, settings, save, options, workers, executor,
                      ray_address, resume)  # fmt: skip
            return
        check_reid(reid, chosen.tracker)
        build_tracker = tracker_builder(chosen.tracker, [], chosen.params, source[0])
        frames = open_tracking_source(source[0], fps, detector)
    except (*SETUP_ERRORS, ImportError) as error:
        fail(error)
    folders = faults.missing_folders([output, mot_output, json_output])
    try:
        det_file = None if detections is None else str(detections)
        if detector == "file" and det_file is None:  # a sequence folder's own det/det.txt
            det_file = detections_for(None, source[0], source[0], many=False)
        det = create_detector(
            detector,
            model=model,
            config=config,
            detections=det_file,
            classes=classes.split(",") if classes else None,
            confidence=confidence,
            nms_iou=nms_iou,
            input_size=parse_size(input_size),
            det_scores=det_scores,
            class_ids=class_ids,
        )
        appearance, det = prepare_reid(
            reid, chosen.tracker, source[0], fps, det, frames.fps, max_frames, reid_save, console
        )
        tracker_obj = build_tracker(frames.fps, **appearance)
        annotator = TrackAnnotator(frames.size, trace_length, show_confidence=show_confidence)
        outputs = open_outputs(frames, output, mot_output, json_output, display, annotator)
    except SETUP_ERRORS as error:
        frames.close()
        fail(error)
    except BaseException:  # Ctrl-C or SIGTERM while loading a model: release the source
        frames.close()
        raise
    faults.setup_notes(console, det, folders, (output, mot_output, json_output, display))
    result = run_with_progress(frames, det, tracker_obj, outputs, max_frames, console)
    written = [p for p in (output, mot_output, json_output) if p is not None]
    finish(result, written, Console())

"""Track many sources at once: a local process pool or a Ray cluster, one set of outputs each.

:func:`track_many` is the engine behind ``keeptrack track`` with several sources. Each source is
one job that runs exactly what a single ``keeptrack track`` run does (the same
:func:`keeptrack.pipeline.run_pipeline`, tracker and detector), so its files are byte-identical
to a run of that source alone, wherever the job ran.

Outputs of source ``<name>`` go to ``<output_dir>/<name>.txt`` (MOTChallenge), ``<name>.jsonl``
and ``<name>.mp4``. They are written as ``<name>.partial.<ext>`` and renamed when the source
has been tracked to its end, so a file under its final name is always complete: ``resume``
skips a source whose requested outputs all exist, and a crash or Ctrl-C leaves nothing that
looks finished. A source that fails (cannot be opened, truncated, detector error) is reported in
its :class:`SourceResult` and leaves no outputs; the others carry on.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keeptrack.executors import JobFailure, JobRunner, check_executor

#: What a batch can write per source, and the file extension of each.
OUTPUT_KINDS = {"mot": ".txt", "json": ".jsonl", "video": ".mp4"}
#: Files a folder of videos contributes (a folder of images is one source).
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")
#: A ``--source`` file with one of these suffixes lists sources, one per line.
LIST_EXTENSIONS = (".txt", ".list", ".lst")
_GLOB = re.compile(r"[*?\[]")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class DetectorSettings:
    """How every source's detector is built (see :func:`keeptrack.detectors.create_detector`).

    ``detections`` is for ``name="file"``: a det file, or a template with ``{name}`` (the
    source's output name) or ``{source}`` (its path). Left ``None``, a MOTChallenge sequence
    folder uses its own ``det/det.txt``.
    """

    name: str = "ssd-mobilenet"
    model: str | None = None
    config: str | None = None
    detections: str | None = None
    classes: tuple[str, ...] | None = None
    confidence: float | None = None
    nms_iou: float | None = None
    input_size: tuple[int, int] | None = None
    det_scores: str = "reject"
    class_ids: str = "detector"


@dataclass(frozen=True)
class TrackJob:
    """One source to track and where its outputs go (everything a worker needs)."""

    source: str
    name: str
    output_dir: str
    tracker: str
    tracker_params: dict[str, Any]
    detector: DetectorSettings
    detections: str | None
    save: tuple[str, ...]
    fps: float | None = None
    max_frames: int | None = None
    trace_length: int = 30
    show_confidence: bool = False

    def final_paths(self) -> dict[str, Path]:
        """Output kind -> the file it ends up in."""
        folder = Path(self.output_dir)
        return {kind: folder / f"{self.name}{OUTPUT_KINDS[kind]}" for kind in self.save}

    def partial_paths(self) -> dict[str, Path]:
        """Output kind -> the file written while tracking (the extension stays last: the video
        writer picks its codec from it)."""
        folder = Path(self.output_dir)
        return {kind: folder / f"{self.name}.partial{OUTPUT_KINDS[kind]}" for kind in self.save}

    def is_complete(self) -> bool:
        """Whether every requested output exists under its final name."""
        return all(path.is_file() for path in self.final_paths().values())


@dataclass
class SourceResult:
    """How one source went.

    Attributes:
        source: The source as given.
        name: Its output name.
        status: ``"done"``, ``"skipped"`` (complete outputs found with ``resume``) or
            ``"failed"``.
        frames: Frames tracked.
        tracks: Distinct track ids reported.
        seconds: Wall time per pipeline stage (:data:`keeptrack.pipeline.STAGES`).
        setup_seconds: Opening the source, building detector and tracker, opening outputs.
        wall_seconds: The whole job, setup included, as the worker saw it.
        cpu_seconds: CPU time of the worker process (all its threads) during the job.
        outputs: Files written.
        error: Why it failed (one line).
        worker: ``host:pid`` of the process that ran it.
    """

    source: str
    name: str
    status: str
    frames: int = 0
    tracks: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    setup_seconds: float = 0.0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    outputs: list[str] = field(default_factory=list)
    error: str | None = None
    worker: str = ""

    @property
    def fps(self) -> float:
        """Frames per second of the tracking loop, without setup and the tracker's first
        update (which compiles its step once per installation)."""
        spent = sum(v for k, v in self.seconds.items() if k != "warm-up")
        return self.frames / spent if spent > 0 else 0.0


def expand_sources(specs: Iterable[str | Path]) -> list[str]:
    """Every source that ``specs`` names, in order, each once.

    A spec may be a video file, webcam index or stream URL (kept as is); a glob (sorted
    matches); a ``.txt`` / ``.list`` file listing sources one per line (blank lines and ``#``
    comments skipped; relative paths are relative to the list file); a MOTChallenge sequence
    folder (one source); a folder of MOTChallenge sequences (each one); a folder of videos (each
    one); or a folder of images (one source).

    Raises:
        ValueError: When a glob, list or folder yields no source.
    """
    found: list[str] = []
    for spec in specs:
        found.extend(_expand(str(spec).strip()))
    return list(dict.fromkeys(found))


def _expand(spec: str) -> list[str]:
    path = Path(spec).expanduser()
    if _GLOB.search(spec) and not path.exists():
        matches = sorted(glob.glob(str(path)))
        if not matches:
            raise ValueError(f"--source {spec!r}: the pattern matches nothing")
        return [m for match in matches for m in _expand(match)]
    if path.is_file() and path.suffix.lower() in LIST_EXTENSIONS:
        return _read_source_list(path)
    if not path.is_dir() or (path / "seqinfo.ini").is_file():
        return [spec]
    children = sorted(path.iterdir(), key=_natural_key)
    sequences = [str(p) for p in children if (p / "seqinfo.ini").is_file()]
    if sequences:
        return sequences
    videos = [str(p) for p in children if p.is_file() and p.suffix.lower() in VIDEO_EXTENSIONS]
    return videos or [spec]  # no videos: a folder of images, read as one source


def _read_source_list(path: Path) -> list[str]:
    sources = []
    for line in path.read_text().splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        is_path = not (text.isdigit() or "://" in text) and not Path(text).is_absolute()
        sources.extend(_expand(str(path.parent / text) if is_path else text))
    if not sources:
        raise ValueError(f"--source {path}: the list names no source")
    return sources


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def output_names(sources: Sequence[str]) -> list[str]:
    """A file-name-safe output name per source: the file or folder name without extension
    (``cams/lobby.mp4`` -> ``lobby``, ``rtsp://host/cam1`` -> ``host_cam1``). Repeated names
    get ``-2``, ``-3``, ... in source order, so names depend only on the source list."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for source in sources:
        if "://" in source:
            base = source.split("://", 1)[1]
        elif source.isdigit():
            base = f"webcam{source}"
        else:
            path = Path(source)
            base = path.name if path.is_dir() else path.stem
        base = _UNSAFE.sub("_", base).strip("._") or "source"
        count = seen.get(base, 0) + 1
        seen[base] = count
        names.append(base if count == 1 else f"{base}-{count}")
    return names


def detections_for(template: str | None, source: str, name: str, many: bool) -> str | None:
    """The det file of one source for ``--detector file`` (see :class:`DetectorSettings`).

    Raises:
        ValueError: When several sources would share one det file.
    """
    if template is not None and ("{name}" in template or "{source}" in template):
        return template.format(name=name, source=source)
    if template is not None and not many:
        return template
    sequence = Path(source)
    if (sequence / "seqinfo.ini").is_file():
        return str(sequence / "det" / "det.txt")
    if template is None:
        return None
    raise ValueError(
        f"--detections {template!r} would give every source the same detections; use a "
        "template such as 'dets/{name}.txt' (or MOTChallenge folders, which use det/det.txt)"
    )


def build_tracker(name: str, params: dict[str, Any], frame_rate: float) -> Any:
    """The tracker ``name`` with ``params``; ``frame_rate`` is the source's unless ``params``
    sets it (the rule single runs follow too)."""
    from keeptrack.trackers.registry import tracker_class, tracker_parameters

    cls = tracker_class(name)
    kwargs = dict(params)
    if "frame_rate" in tracker_parameters(cls):
        kwargs.setdefault("frame_rate", frame_rate)
    return cls(**kwargs)


def run_track_job(job: TrackJob) -> SourceResult:
    """Track one source and write its outputs (runs in a worker).

    Raises:
        Exception: Whatever setup raises (bad source, detector, tracker); the executor turns it
            into a failed :class:`SourceResult`.
    """
    from keeptrack.annotate import TrackAnnotator
    from keeptrack.detectors import create_detector
    from keeptrack.io.frameless import FramelessSequence, open_tracking_source
    from keeptrack.io.mot import MOTResultsWriter
    from keeptrack.io.sinks import JsonLinesSink, VideoFileSink
    from keeptrack.pipeline import Outputs, run_pipeline

    start, cpu = time.perf_counter(), time.process_time()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    settings = job.detector
    source = open_tracking_source(job.source, job.fps, settings.name)
    Path(job.output_dir).mkdir(parents=True, exist_ok=True)  # on a Ray node, too
    partial = job.partial_paths()
    outputs = Outputs()
    try:
        if "video" in job.save and isinstance(source, FramelessSequence):
            raise ValueError(f"{job.source}: no images, so no video can be written")
        tracker = build_tracker(job.tracker, _replay_cmc(job), source.fps)
        detector = create_detector(
            settings.name,
            model=settings.model,
            config=settings.config,
            detections=job.detections,
            classes=settings.classes,
            confidence=settings.confidence,
            nms_iou=settings.nms_iou,
            input_size=settings.input_size,
            det_scores=settings.det_scores,
            class_ids=settings.class_ids,
        )
        if "video" in partial:
            outputs.annotator = TrackAnnotator(
                source.size, job.trace_length, show_confidence=job.show_confidence
            )
            outputs.video = VideoFileSink(partial["video"], source.fps, source.size)
        if "mot" in partial:
            outputs.mot = MOTResultsWriter(partial["mot"])
        if "json" in partial:
            outputs.json = JsonLinesSink(partial["json"], source.fps)
    except BaseException:
        outputs.close()
        source.close()
        _remove(partial.values())
        raise
    setup = time.perf_counter() - start
    try:
        run = run_pipeline(source, detector, tracker, outputs, job.max_frames)
    except BaseException:  # run_pipeline has closed everything; drop the half-written files
        _remove(partial.values())
        raise
    result = SourceResult(
        job.source,
        job.name,
        "done",
        frames=run.frames,
        tracks=len(run.track_ids),
        seconds=dict(run.seconds),
        setup_seconds=setup,
        worker=worker,
    )
    if run.stopped == "interrupted":  # Ctrl-C in a job run here stops the batch, not the job
        _remove(partial.values())
        raise KeyboardInterrupt
    if run.stopped in (None, "limit"):
        final = job.final_paths()
        for kind, path in partial.items():
            os.replace(path, final[kind])
        result.outputs = [str(p) for p in final.values()]
    else:
        _remove(partial.values())
        result.status = "failed"
        result.error = str(run.error) if run.error else f"stopped: {run.stopped}"
    result.wall_seconds = time.perf_counter() - start
    result.cpu_seconds = time.process_time() - cpu
    return result


def _replay_cmc(job: TrackJob) -> dict[str, Any]:
    """The job's tracker arguments, with ``cmc="file"`` replaced by the source folder's
    ``gmc.txt`` replay (as a single ``keeptrack track`` run does).

    Raises:
        ValueError: For ``cmc="file"`` on a source that is not a MOTChallenge sequence folder.
        FileNotFoundError: For a sequence folder without ``gmc.txt``.
    """
    from keeptrack.io.sequence import load_sequence, resolve_cmc
    from keeptrack.motion.camera.base import FILE

    if job.tracker_params.get("cmc") != FILE:
        return job.tracker_params
    folder = Path(job.source)
    if not (folder / "seqinfo.ini").is_file():
        raise ValueError(f"cmc=file replays <sequence>/gmc.txt; {job.source} is not a sequence")
    return resolve_cmc(job.tracker_params, load_sequence(folder, detections=False, gt=False))


def _remove(paths: Iterable[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def make_jobs(
    sources: Sequence[str | Path],
    output_dir: str | Path,
    tracker: str = "bytetrack",
    tracker_params: dict[str, Any] | None = None,
    detector: DetectorSettings | None = None,
    save: Sequence[str] = ("mot", "json"),
    **options: Any,
) -> list[TrackJob]:
    """One :class:`TrackJob` per source named by ``sources`` (expanded by
    :func:`expand_sources`); ``options`` are :class:`TrackJob`'s ``fps``, ``max_frames``,
    ``trace_length`` and ``show_confidence``.

    Raises:
        ValueError: For no sources, an unknown output kind, an unknown tracker or parameter.
    """
    from keeptrack.trackers.registry import tracker_class

    tracker_class(tracker)  # an unknown name fails here, not once per source
    detector = detector or DetectorSettings()
    unknown = sorted(set(save) - set(OUTPUT_KINDS))
    if unknown or not save:
        raise ValueError(f"save must name some of {', '.join(OUTPUT_KINDS)}; got {list(save)}")
    expanded = expand_sources(sources)
    if not expanded:
        raise ValueError("no sources given")
    names = output_names(expanded)
    many = len(expanded) > 1
    return [
        TrackJob(
            source=source,
            name=name,
            output_dir=str(output_dir),
            tracker=tracker,
            tracker_params=dict(tracker_params or {}),
            detector=detector,
            detections=(
                detections_for(detector.detections, source, name, many)
                if detector.name == "file"
                else None
            ),
            save=tuple(save),
            **options,
        )
        for source, name in zip(expanded, names, strict=True)
    ]


def track_many(
    sources: Sequence[str | Path],
    output_dir: str | Path,
    tracker: str = "bytetrack",
    tracker_params: dict[str, Any] | None = None,
    detector: DetectorSettings | None = None,
    save: Sequence[str] = ("mot", "json"),
    workers: int | None = None,
    executor: str = "local",
    ray_address: str | None = None,
    resume: bool = False,
    on_result: Callable[[SourceResult], None] | None = None,
    **options: Any,
) -> list[SourceResult]:
    """Track every source and write one set of outputs per source under ``output_dir``.

    Args:
        sources: Anything :func:`expand_sources` accepts.
        output_dir: Created if missing; see the module docstring for the file names.
        tracker: Registry name (:data:`keeptrack.trackers.registry.TRACKERS`).
        tracker_params: Constructor arguments (``frame_rate`` defaults to each source's).
        detector: How detectors are built; default ``ssd-mobilenet``.
        save: Any of ``"mot"``, ``"json"``, ``"video"``.
        workers: Local processes (default: the cores this process may use); 1 runs the
            sources one after another in this process.
        executor: ``"local"`` or ``"ray"`` (``pip install 'keeptrack[ray]'``).
        ray_address: Ray cluster to join; ``None``: the Ray already initialised, or a local one.
        resume: Skip sources whose outputs are all complete.
        on_result: Called in this process as each source finishes (progress bars).
        **options: ``fps``, ``max_frames``, ``trace_length``, ``show_confidence``, as for
            ``keeptrack track``.

    Returns:
        One :class:`SourceResult` per source, in source order.

    Raises:
        ValueError: For bad arguments (before any source is opened).
        ImportError: For ``executor="ray"`` without Ray.
    """
    jobs = make_jobs(sources, output_dir, tracker, tracker_params, detector, save, **options)
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    results: list[SourceResult | None] = [None] * len(jobs)
    todo = []
    for index, job in enumerate(jobs):
        if resume and job.is_complete():
            paths = [str(p) for p in job.final_paths().values()]
            skipped = SourceResult(job.source, job.name, "skipped", outputs=paths)
            results[index] = skipped
            if on_result is not None:
                on_result(skipped)
        else:
            todo.append(index)
    if todo:
        count = min(check_executor(executor, workers), len(todo))
        try:
            with JobRunner(count, executor, ray_address) as runner:
                for position, outcome in runner.map(run_track_job, [jobs[i] for i in todo]):
                    job = jobs[todo[position]]
                    if isinstance(outcome, JobFailure):
                        outcome = SourceResult(job.source, job.name, "failed", error=outcome.error)
                    results[todo[position]] = outcome
                    if on_result is not None:
                        on_result(outcome)
        except BaseException:  # Ctrl-C, SIGTERM: the killed jobs' files are not outputs
            for index in todo:
                if results[index] is None:
                    _remove(jobs[index].partial_paths().values())
            raise
    return [r for r in results if r is not None]

"""``keeptrack bench``: run trackers on a MOTChallenge folder's detections and compare them.

For each tracker and sequence: feed ``det/det.txt`` frame by frame, time only
``tracker.update``, write ``<output-dir>/<tracker>/<seq>.txt``, then score everything with
:func:`keeptrack.eval.evaluate_mot_sequences`. One table (HOTA, MOTA, IDF1, IDSW, AssA, DetA,
tracker-only frames/s, peak memory) is printed and saved as Markdown and JSON, with a plot of
HOTA against frames/s. Tracker parameters come from each tracker's signature as
``--tracker.<param> value`` (every tracker that has the parameter) or
``--tracker.<tracker>.<param> value`` (that tracker only). A tracker that cannot run on the
data (DeepSORT needs frames or embeddings) is reported by name; the others' results are kept.
"""

from __future__ import annotations

import json
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich import box
from rich.progress import Progress
from rich.table import Table

from keeptrack.benchmark import bytetrack_output_filter, track_detections
from keeptrack.cli.bench_options import split_tracker_options
from keeptrack.cli.eval import INPUT_ERRORS, Benchmark, fail, wide_console
from keeptrack.cli.reid import (
    REID_HELP,
    appearance_parameter,
    check_reid,
    sequence_appearance,
    uses_appearance,
)
from keeptrack.config import resolve_tracker
from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.eval.evaluate import summarize_sequences
from keeptrack.executors import JobRunner
from keeptrack.io.mot import (
    find_sequences,
    write_mot_results,
)
from keeptrack.io.sequence import Sequence, load_sequences, resolve_cmc
from keeptrack.io.sequence import Split as Frames
from keeptrack.sweep import SequenceJob, collect, load_sequence, peak_memory_mb, track_and_score
from keeptrack.trackers.registry import (
    create_tracker,
    tracker_class,
    tracker_parameters,
)

#: Table columns: (heading, metric key); ratios are shown as percentages.
SCORE_COLUMNS = (("HOTA", "HOTA"), ("MOTA", "MOTA"), ("IDF1", "IDF1"), ("IDSW", "IDSW"),
                 ("AssA", "AssA"), ("DetA", "DetA"))  # fmt: skip


@dataclass
class TrackerRun:
    """One tracker's outcome over all sequences."""

    name: str
    params: dict[str, Any]
    metrics: dict[str, dict[str, float]]
    frames_per_second: float
    peak_memory_mb: float

    def row(self) -> dict[str, Any]:
        """The table row: combined scores, speed and memory (ratios as fractions)."""
        combined = self.metrics[COMBINED]
        row: dict[str, Any] = {"tracker": self.name}
        row.update({key: combined[key] for _, key in SCORE_COLUMNS})
        row.update(frames_per_second=self.frames_per_second, peak_memory_mb=self.peak_memory_mb)
        return row


def _make_tracker(name: str, options: dict[str, Any], seq: Sequence, model: Any = None):
    """A fresh tracker for ``seq``; ``frame_rate`` comes from ``seqinfo.ini`` unless set on the
    command line, ``cmc="file"`` replays the sequence's ``gmc.txt``, and ``model`` (the
    ``--reid`` model) goes to the tracker's appearance parameter."""
    cls = tracker_class(name)
    params = resolve_cmc(dict(options), seq)
    frame_rate = seq.frame_rate
    if "frame_rate" in tracker_parameters(cls):
        params.setdefault("frame_rate", frame_rate)
    if model is not None:
        params[appearance_parameter(name)] = model
    return create_tracker(name, **params)


def run_tracker(
    name: str,
    options: dict[str, Any],
    sequences: list[Sequence],
    frames: Frames,
    output_dir: Path,
    benchmark: Benchmark,
    progress: Progress,
    appearance: dict[str, tuple[Any, list[np.ndarray]]] | None = None,
) -> TrackerRun:
    """Track every sequence, write results, measure speed and memory, and score.

    ``appearance``: per sequence, the ``--reid`` model and every detection's features, used by
    trackers that take appearance (the others ignore it).
    """
    task = progress.add_task(name, total=len(sequences) + 1)
    results, seconds = {}, 0.0
    if appearance is not None and not uses_appearance(name):
        appearance = None
    # The first update in a process compiles (or loads from Numba's cache) the tracker's
    # compiled step: one untimed frame keeps that out of the speed.
    warm_up = next((f for s in sequences for f in s.frames if len(f)), None)
    if warm_up is not None and appearance is None:
        _make_tracker(name, options, sequences[0]).update(warm_up)
    for seq in sequences:
        progress.update(task, description=f"{name} {seq.name}")
        model, features = (None, None) if appearance is None else appearance[seq.name]
        tracker = _make_tracker(name, options, seq, model)
        rows, elapsed = track_detections(tracker, seq.frames, features)
        seconds += elapsed
        if frames is Frames.val_half:
            rows = bytetrack_output_filter(rows)  # ByteTrack's MOT17 val-half protocol
        write_mot_results(output_dir / name / f"{seq.name}.txt", rows)
        results[seq.name] = rows
        progress.advance(task)
    # tracemalloc slows Python down, so memory is measured in a separate run, on the sequence
    # with the most detections (where the tracker holds the most state).
    progress.update(task, description=f"{name} peak memory")
    busiest = max(sequences, key=lambda s: sum(len(f) for f in s.frames))
    model, features = (None, None) if appearance is None else appearance[busiest.name]
    tracemalloc.start()
    track_detections(_make_tracker(name, options, busiest, model), busiest.frames, features)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    progress.advance(task)
    metrics = evaluate_mot_sequences(
        {s.name: s.gt for s in sequences},  # type: ignore[misc]  # load_sequences reads each gt
        results,
        {s.name: len(s.frames) for s in sequences},
        benchmark.value,
    )
    total_frames = sum(len(s.frames) for s in sequences)
    return TrackerRun(name, options, metrics, total_frames / max(seconds, 1e-9), peak)


def run_trackers_parallel(
    names: list[str],
    options: dict[str, dict[str, Any]],
    data: Path,
    frames: Frames,
    output_dir: Path,
    benchmark: Benchmark,
    runner: JobRunner,
    progress: Progress,
) -> list[TrackerRun]:
    """:func:`run_tracker` for every tracker, as tracker x sequence jobs on ``runner``.

    Scores equal the serial run's exactly; speeds are measured while jobs share the cores, so
    compare them within one run only.
    """
    sequences = [n for n in find_sequences(data) if (data / n / "det" / "det.txt").is_file()]
    if not sequences:
        raise FileNotFoundError(f"no <sequence>/gt/gt.txt with det/det.txt under {data}")
    split = "val-half" if frames is Frames.val_half else "all"
    jobs = [
        SequenceJob(
            str(data / seq),
            split,
            name,
            options[name],
            benchmark.value,
            str(output_dir / name / f"{seq}.txt"),
        )  # fmt: skip
        for name in names
        for seq in sequences
    ]
    busiest = {  # peak memory is measured on the sequence with the most detections
        name: max(jobs, key=lambda j: sum(len(f) for f in load_sequence(j.folder, split).frames))
        for name in names
    }
    memory_jobs = [busiest[name] for name in names]
    task = progress.add_task("tracker x sequence jobs", total=len(jobs) + len(memory_jobs))
    outcomes, memory = {}, {}
    for index, outcome in runner.map(track_and_score, jobs):
        outcomes[index] = outcome
        progress.advance(task)
    for index, peak in runner.map(peak_memory_mb, memory_jobs):
        memory[index] = peak
        progress.advance(task)
    done = collect(outcomes, len(jobs))
    peaks = collect(memory, len(memory_jobs))
    runs = []
    for t, name in enumerate(names):
        mine = done[t * len(sequences) : (t + 1) * len(sequences)]
        metrics = summarize_sequences({o.name: o.metrics for o in mine})
        fps = sum(o.frames for o in mine) / max(sum(o.seconds for o in mine), 1e-9)
        runs.append(TrackerRun(name, options[name], metrics, fps, peaks[t]))
    return runs


def markdown_table(runs: list[TrackerRun]) -> str:
    """The comparison as a Markdown table (ratios as percentages)."""
    headings = [h for h, _ in SCORE_COLUMNS] + ["frames/s", "peak MB"]
    lines = ["| tracker | " + " | ".join(headings) + " |", "|---" * (len(headings) + 1) + "|"]
    for run in runs:
        lines.append("| " + " | ".join(_cells(run)) + " |")
    return "\n".join(lines) + "\n"


def parameters_table(names: list[str]) -> Table:
    """Every ``--tracker.<param>`` option of the named trackers, read from their signatures."""
    table = Table(title="tracker options", box=box.SIMPLE_HEAD)
    for heading in ("tracker", "option", "type", "default", "meaning"):
        table.add_column(heading)
    for name in names:
        for param in tracker_parameters(tracker_class(name)).values():
            option = f"--tracker.{param.name}"
            table.add_row(name, option, param.kind.__name__, repr(param.default), param.help)
    return table


def rich_table(title: str, runs: list[TrackerRun]) -> Table:
    """The comparison for the terminal."""
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column("tracker", style="bold", no_wrap=True)
    for heading in [h for h, _ in SCORE_COLUMNS] + ["frames/s", "peak MB"]:
        table.add_column(heading, justify="right", no_wrap=True)
    for run in runs:
        table.add_row(*_cells(run))
    return table


def _cells(run: TrackerRun) -> list[str]:
    combined = run.metrics[COMBINED]
    cells = [run.name]
    for _, key in SCORE_COLUMNS:
        value = combined[key]
        cells.append(str(value) if isinstance(value, int) else f"{100 * value:.1f}")
    return cells + [f"{run.frames_per_second:,.0f}", f"{run.peak_memory_mb:.2f}"]


def plot_hota_vs_speed(runs: list[TrackerRun], path: Path) -> bool:
    """Save a scatter plot of HOTA against frames/s; False if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: never needs a display
        from matplotlib import pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(6, 4))
    for run in runs:
        hota = 100 * run.metrics[COMBINED]["HOTA"]
        ax.scatter(run.frames_per_second, hota)
        ax.annotate(
            run.name, (run.frames_per_second, hota), textcoords="offset points", xytext=(5, 5)
        )
    ax.set_xscale("log")  # speeds span orders of magnitude (SORT vs appearance trackers)
    plain = FuncFormatter(lambda value, _: f"{value:,.0f}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    ax.margins(0.2)
    ax.set_xlabel("tracker-only frames/s (log scale)")
    ax.set_ylabel("HOTA (%)")
    ax.set_title("HOTA against speed")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def bench(
    ctx: typer.Context,
    data: Annotated[
        Path, typer.Option(help="MOTChallenge folder: <seq>/det/det.txt, gt/gt.txt, seqinfo.ini.")
    ],
    trackers: Annotated[
        str, typer.Option(help="Comma-separated tracker names.")
    ] = "bytetrack,sort",
    frames: Annotated[
        Frames, typer.Option(help="Score all frames, or the val half (with ByteTrack's filter).")
    ] = Frames.all,
    benchmark: Annotated[Benchmark, typer.Option(help="Dataset semantics.")] = Benchmark.mot17,
    output_dir: Annotated[
        Path, typer.Option(help="Where results, bench.md, bench.json and bench.png go.")
    ] = Path("runs/bench"),
    list_params: Annotated[
        bool, typer.Option("--list-params", help="List the trackers' --tracker.<param> options.")
    ] = False,
    tracker_config: Annotated[
        Path | None,
        typer.Option(help="Parameters from a YAML/JSON file (keeptrack tune's) for its tracker."),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="Local processes running tracker x sequence jobs (1: serial).")
    ] = 1,
    executor: Annotated[str, typer.Option(help="local (process pool) or ray.")] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (default: start a local Ray).")
    ] = None,
    reid: Annotated[
        str | None, typer.Option(help=REID_HELP + " Needs the sequences' img1/ frames.")
    ] = None,
) -> None:
    """Run trackers on a data set's detections, score them and compare accuracy and speed.

    Set tracker parameters with --tracker.<param> VALUE (e.g. --tracker.lost_track_buffer 60),
    given to every tracker that has it, or --tracker.<tracker>.<param> VALUE for one tracker
    (e.g. --tracker.bytetrack.high_conf_det_threshold 0.5). --list-params shows them.
    """
    console = wide_console()
    try:
        names = [n.strip().lower() for n in trackers.split(",") if n.strip()]
        if not names:
            raise ValueError("--trackers is empty; name at least one tracker")
        if list_params:
            console.print(parameters_table(names))
            return
        options = split_tracker_options(names, list(ctx.args))
        if tracker_config is not None:
            chosen = resolve_tracker(names[0], False, tracker_config, list(ctx.args))
            if chosen.tracker not in names:
                raise ValueError(f"--tracker-config is for {chosen.tracker}, not in --trackers")
            options[chosen.tracker] = chosen.params
        if reid is not None:
            check_reid(reid, next((n for n in names if uses_appearance(n)), names[0]))
            if workers != 1 or executor != "local":
                raise ValueError("--reid runs serially: drop --workers / --executor")
        sequences = load_sequences(data, frames)
        appearance = None
        if reid is not None:
            appearance = {
                s.name: sequence_appearance(reid, s.folder, s.frames, s.start, s.frame_rate)
                for s in sequences
            }
        runs, failed = [], []
        with Progress(console=console, transient=True) as progress:
            if workers == 1 and executor == "local":
                for name in names:
                    try:
                        runs.append(
                            run_tracker(
                                name,
                                options[name],
                                sequences,
                                frames,
                                output_dir,
                                benchmark,
                                progress,
                                appearance,
                            )
                        )
                    except ValueError as error:  # e.g. DeepSORT without frames: others run on
                        failed.append(f"{name} could not run on {data}: {error}")
            else:
                with JobRunner(workers, executor, ray_address) as runner:
                    runs = run_trackers_parallel(
                        names, options, data, frames, output_dir, benchmark, runner, progress
                    )
        if not runs:
            raise ValueError("; ".join(failed))
    except (*INPUT_ERRORS, ImportError) as error:
        fail(error)
    for message in failed:
        console.print(f"[bold red]skipped[/] {message}")
    total_frames = sum(len(s.frames) for s in sequences)
    title = f"{data} ({len(sequences)} sequences, {total_frames} frames, frames: {frames.value})"
    table = markdown_table(runs)
    console.print(rich_table(title, runs))
    try:
        (output_dir / "bench.md").write_text(f"{title}\n\n{table}")
        payload = [dict(r.row(), params=r.params, sequences=r.metrics) for r in runs]
        (output_dir / "bench.json").write_text(json.dumps(payload, indent=2) + "\n")
        plotted = plot_hota_vs_speed(runs, output_dir / "bench.png")
    except OSError as error:
        fail(f"cannot write the bench outputs ({error}); choose another --output-dir")
    saved = ["bench.md", "bench.json"] + (["bench.png"] if plotted else [])
    console.print(f"results and {', '.join(saved)} in {output_dir}")
    if not plotted:
        console.print("no plot: pip install 'keeptrack[plot]' for matplotlib")

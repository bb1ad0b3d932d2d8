"""``keeptrack eval``: score a folder of MOTChallenge results against ground truth.

Prints one row per sequence and a combined row (TrackEval's numbers, as percentages), and
writes every metric to ``metrics.json`` and ``metrics.csv``. Bad input (a missing file, a
malformed line, a frame outside the sequence) stops with one message naming the file and line,
and exit code 1.
"""

from __future__ import annotations

import csv
import json
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import numpy as np
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.io.mot import (
    MOTFormatError,
    find_sequences,
    read_mot_tracks,
    read_seqmap,
    shift_frames,
)
from keeptrack.io.sequence import Split, load_sequence

#: Errors caused by the user's input: reported as one line, never as a traceback.
INPUT_ERRORS = (MOTFormatError, FileNotFoundError, KeyError, ValueError)

#: Columns of the printed table (ratios as percentages); the files hold every metric.
TABLE_COLUMNS = ("HOTA", "DetA", "AssA", "MOTA", "MOTP", "IDF1", "IDSW", "FP", "FN", "Frag",
                 "MT", "PT", "ML")  # fmt: skip
#: Narrower consoles (pipes, CI logs) would truncate numbers to "…"; wrap lines instead.
MIN_CONSOLE_WIDTH = 130


def wide_console(stderr: bool = False) -> Console:
    """A console at least :data:`MIN_CONSOLE_WIDTH` columns wide, so tables never truncate."""
    console = Console(stderr=stderr)
    return console if console.width >= MIN_CONSOLE_WIDTH else Console(width=MIN_CONSOLE_WIDTH)


class Benchmark(str, Enum):
    """Dataset semantics: which GT rows are targets and which tracker boxes are excused."""

    mot17 = "mot17"
    mot20 = "mot20"
    plain = "plain"


def fail(error: Exception | str) -> NoReturn:
    """Print one red line on stderr and exit with code 1: input errors are not bugs, so the user
    gets the message (file and line included), not a traceback."""
    message = error.args[0] if isinstance(error, Exception) and error.args else error
    Console(stderr=True).print(f"[red]error:[/red] {escape(str(message))}", soft_wrap=True)
    raise typer.Exit(1)


def load_inputs(
    gt_dir: Path, results_dir: Path, names: list[str], frames: Split
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, int]]:
    """GT rows, results rows and scored lengths of each sequence.

    Files are validated against the full sequence (``seqinfo.ini``'s ``seqLength``), then cut
    and renumbered to the split. For a half, results may be numbered like the full sequence or
    already renumbered ``1..`` (as ``keeptrack bench`` writes them): for the val half, a frame
    beyond its length means the former.
    """
    gt, results, lengths = {}, {}, {}
    for name in names:
        seq = load_sequence(gt_dir / name, frames, detections=False)
        assert seq.gt is not None  # gt=True (the default) reads it or raises
        gt[name], lengths[name] = seq.gt, seq.length
        rows = read_mot_tracks(results_dir / f"{name}.txt", seq.full_length)
        if seq.start and len(rows) and rows[:, 0].max() > seq.length:
            rows = shift_frames(rows, seq.start)
        results[name] = rows[rows[:, 0] <= seq.length]
    return gt, results, lengths


def metrics_table(title: str, metrics: dict[str, dict[str, float]], first: str) -> Table:
    """A rich table of :data:`TABLE_COLUMNS`, one row per key of ``metrics``."""
    table = Table(title=title, box=box.SIMPLE_HEAD)
    table.add_column(first, style="bold", no_wrap=True)
    for column in TABLE_COLUMNS:
        table.add_column(column, justify="right", no_wrap=True)
    for name, values in metrics.items():
        cells = [format_metric(values[column]) for column in TABLE_COLUMNS]
        table.add_row(name, *cells, style="bold" if name == COMBINED else None)
    return table


def format_metric(value: float) -> str:
    """Counts as they are, ratios as percentages with two decimals."""
    return str(value) if isinstance(value, int) else f"{100 * value:.2f}"


def write_metrics(metrics: dict[str, dict[str, float]], output_dir: Path) -> list[Path]:
    """Write ``metrics.json`` and ``metrics.csv`` (one row per sequence and the combined row;
    ratios as fractions, exactly as :func:`evaluate_mot_sequences` returns them)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path, csv_path = output_dir / "metrics.json", output_dir / "metrics.csv"
    json_path.write_text(json.dumps(metrics, indent=2) + "\n")
    fields = list(next(iter(metrics.values())))
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["sequence", *fields])
        for name, values in metrics.items():
            writer.writerow([name, *(values[f] for f in fields)])
    return [json_path, csv_path]


def evaluate(
    gt_dir: Annotated[
        Path, typer.Option(help="MOTChallenge folder: <seq>/gt/gt.txt and <seq>/seqinfo.ini.")
    ],
    results_dir: Annotated[Path, typer.Option(help="Folder of <seq>.txt results files.")],
    seqmap: Annotated[
        Path | None,
        typer.Option(help="TrackEval seqmap listing the sequences (default: every gt folder)."),
    ] = None,
    benchmark: Annotated[Benchmark, typer.Option(help="Dataset semantics.")] = Benchmark.mot17,
    frames: Annotated[
        Split, typer.Option(help="Score all frames, the val half or the train half.")
    ] = Split.all,
    output_dir: Annotated[
        Path, typer.Option(help="Where metrics.json and metrics.csv are written.")
    ] = Path("runs/eval"),
    workers: Annotated[
        int, typer.Option(help="Local processes, one sequence each (1: serial).")
    ] = 1,
    executor: Annotated[str, typer.Option(help="local (process pool) or ray.")] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster to join (default: start a local Ray).")
    ] = None,
) -> None:
    """Score tracker results with HOTA, CLEAR (MOTA) and Identity (IDF1), as TrackEval does."""
    console = wide_console()
    try:
        names = read_seqmap(seqmap) if seqmap else find_sequences(gt_dir)
        if not names:
            raise FileNotFoundError(f"no <sequence>/gt/gt.txt under {gt_dir}")
        gt, results, lengths = load_inputs(gt_dir, results_dir, names, frames)
        if workers == 1 and executor == "local":
            metrics = evaluate_mot_sequences(gt, results, lengths, benchmark.value)
        else:
            from keeptrack.executors import JobRunner
            from keeptrack.sweep import score_all

            with JobRunner(min(workers, len(names)), executor, ray_address) as runner:
                metrics = score_all(gt, results, lengths, benchmark.value, runner)
    except (*INPUT_ERRORS, ImportError) as error:
        fail(error)
    title = f"{results_dir} ({benchmark.value}, frames: {frames.value})"
    console.print(metrics_table(title, metrics, "sequence"))
    try:
        written = write_metrics(metrics, output_dir)
    except OSError as error:
        fail(f"cannot write metrics ({error}); choose another --output-dir")
    console.print("wrote " + ", ".join(str(p) for p in written))

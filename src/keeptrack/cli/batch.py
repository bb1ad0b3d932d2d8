"""``keeptrack track`` with many sources: one progress bar, one summary row per source.

The work is :func:`keeptrack.batch.track_many`; this module shows it. The summary is also saved
as ``<output-dir>/batch.json``. The exit code is 0 when every source is done or skipped, 1 when
any failed (the others' outputs are kept), 128 + the signal on Ctrl-C or SIGTERM (running
jobs are killed and leave no files; finished sources stay complete).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from keeptrack.batch import DetectorSettings, SourceResult, expand_sources, track_many
from keeptrack.cli import faults
from keeptrack.cli.eval import wide_console
from keeptrack.config import TrackerConfig


def wants_batch(sources: list[str], output_dir: Path | None) -> bool:
    """Whether ``track`` runs as a batch: ``--output-dir`` given, or the sources name more
    than one source (several ``--source``, a glob, a list file, a folder of videos or of
    MOTChallenge sequences).

    Raises:
        ValueError: From :func:`keeptrack.batch.expand_sources`.
    """
    return output_dir is not None or len(sources) > 1 or len(expand_sources(sources)) > 1


def summary_table(results: list[SourceResult]) -> Table:
    """One row per source: status, frames, tracks, speed, setup time, and the error if any."""
    table = Table(title="batch summary", box=box.SIMPLE_HEAD)
    numbers = ("frames", "tracks", "fps", "setup s", "warm-up s")
    for heading in ("source", "status", *numbers, "worker", "error"):
        justify: Literal["right", "left"] = "right" if heading in numbers else "left"
        table.add_column(heading, justify=justify, overflow="fold")
    styles = {"done": "green", "skipped": "dim", "failed": "red"}
    for r in results:
        table.add_row(
            r.name,
            f"[{styles[r.status]}]{r.status}[/]",
            str(r.frames),
            str(r.tracks),
            f"{r.fps:.1f}" if r.frames else "",
            f"{r.setup_seconds:.2f}" if r.frames else "",
            f"{r.seconds.get('warm-up', 0.0):.2f}" if r.frames else "",
            r.worker,
            escape(r.error or ""),
        )
    return table


def run_batch(
    sources: list[str],
    output_dir: Path | None,
    tracker: TrackerConfig,
    detector: DetectorSettings,
    save: str,
    options: dict[str, Any],
    workers: int | None,
    executor: str,
    ray_address: str | None,
    resume: bool,
) -> None:
    """Track every source, show progress and the summary, write ``batch.json``; exit 1 if any
    source failed.

    Args:
        options: ``fps``, ``max_frames``, ``trace_length``, ``show_confidence``.

    Raises:
        ValueError: For bad arguments, before any source is opened.
        ImportError: For ``--executor ray`` without Ray.
    """
    if output_dir is None:
        raise ValueError("several sources: give --output-dir for their outputs")
    kinds = tuple(k.strip().lower() for k in save.split(",") if k.strip())
    total = len(expand_sources(sources))
    console = Console(stderr=True)
    columns = [
        TextColumn("[bold]sources"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[frames]:,} frames, {task.fields[failed]} failed"),
        TimeElapsedColumn(),
    ]
    interrupted = False
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("sources", total=total, failed=0, frames=0)
        failed = frames = 0

        def advance(result: SourceResult) -> None:
            nonlocal failed, frames
            failed += result.status == "failed"
            frames += result.frames
            progress.update(task, advance=1, failed=failed, frames=frames)
            if result.status == "failed":
                progress.console.print(
                    f"[red]failed[/red] {escape(result.name)}: {escape(result.error or '')}"
                )

        try:
            results = track_many(
                sources,
                output_dir,
                tracker.tracker,
                tracker.params,
                detector,
                kinds,
                workers=workers,
                executor=executor,
                ray_address=ray_address,
                resume=resume,
                on_result=advance,
                **options,
            )
        except KeyboardInterrupt:
            interrupted = True
    if interrupted:
        how, code = faults.current_stop()
        console.print(f"{how}; finished sources are complete, rerun with --resume")
        raise typer.Exit(code)
    wide_console().print(summary_table(results))
    (output_dir / "batch.json").write_text(
        json.dumps([asdict(r) for r in results], indent=2) + "\n"
    )
    counts = {s: sum(r.status == s for r in results) for s in ("done", "skipped", "failed")}
    console.print(
        f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed; "
        f"outputs and batch.json in {output_dir}"
    )
    if counts["failed"]:
        raise typer.Exit(1)

"""``keeptrack tune``: search a tracker's parameters with Optuna and report a held-out score.

The work is :func:`keeptrack.tune.tune` (its docstring describes the protocol); this module
parses options, shows a progress bar with the best training score so far, prints the
held-out comparison with the defaults, and writes the config file that
``keeptrack track|bench --tracker-config`` loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from keeptrack.cli.eval import Benchmark, fail, wide_console
from keeptrack.cli.faults import EXIT_INTERRUPTED
from keeptrack.config import TrackerConfig, save_tracker_config
from keeptrack.executors import JobRunner
from keeptrack.trackers.registry import (
    SEARCH_SPACES,
    parse_tracker_options,
    search_space,
    tracker_class,
)
from keeptrack.tune import METRICS, TuneResult, TuneSettings, tune


def space_table(name: str) -> Table:
    """The searched parameters of ``name``: range, default and meaning."""
    table = Table(title=f"{name} search space", box=box.SIMPLE_HEAD)
    for heading in ("parameter", "type", "low", "high", "default", "meaning"):
        table.add_column(heading, overflow="fold")
    for param, limits in search_space(name).values():
        table.add_row(
            param.name,
            param.kind.__name__,
            f"{limits.low:g}",
            f"{limits.high:g}",
            repr(param.default),
            param.help,
        )
    return table


def result_table(result: TuneResult) -> Table:
    """Held-out and training scores of the tuned parameters and the defaults."""
    metric = result.settings["metric"]
    table = Table(title=f"{result.tracker}: {metric} ({result.protocol})", box=box.SIMPLE_HEAD)
    for heading in ("", "held-out", "train (optimistic)"):
        table.add_column(heading, justify="right" if heading else "left")
    if result.fell_back:
        table.add_row(
            "defaults (kept)", f"{100 * result.held_out:.2f}", f"{100 * result.train:.2f}"
        )
        table.add_row("tuned (not kept)", f"{100 * result.tuned_held_out:.2f}", "")
    else:
        table.add_row("tuned", f"{100 * result.held_out:.2f}", f"{100 * result.train:.2f}")
        table.add_row("defaults", f"{100 * result.defaults_held_out:.2f}", "")
    for i, fold in enumerate(result.folds, start=1):
        table.add_row(
            f"fold {i}: {', '.join(fold['held_out_sequences'])}",
            f"{100 * fold['held_out']:.2f} (defaults {100 * fold['defaults_held_out']:.2f})",
            f"{100 * fold['train']:.2f}",
        )
    return table


def tune_command(
    ctx: typer.Context,
    tracker: Annotated[
        str, typer.Option("--tracker", "-t", help=f"One of: {', '.join(SEARCH_SPACES)}.")
    ] = "bytetrack",
    data: Annotated[
        Path | None,
        typer.Option(help="MOTChallenge folder tuned on: <seq>/det/det.txt, gt/gt.txt."),
    ] = None,
    split: Annotated[
        str, typer.Option(help="Frames of each sequence: all, train-half or val-half.")
    ] = "all",
    benchmark: Annotated[Benchmark, typer.Option(help="Dataset semantics.")] = Benchmark.mot17,
    metric: Annotated[str, typer.Option(help=f"Maximised: {', '.join(METRICS)}.")] = "HOTA",
    folds: Annotated[int, typer.Option(help="k of the k-fold by-sequence held-out score.")] = 3,
    val_data: Annotated[
        Path | None, typer.Option(help="Held-out MOTChallenge folder instead of k-fold.")
    ] = None,
    val_split: Annotated[str, typer.Option(help="Frames of --val-data scored.")] = "all",
    n_trials: Annotated[int, typer.Option(help="Complete trials per study.")] = 60,
    timeout: Annotated[
        float | None, typer.Option(help="Stop starting trials after this many seconds.")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Local processes for tracker x sequence jobs.")
    ] = None,
    executor: Annotated[str, typer.Option(help="local (process pool) or ray.")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster to join.")] = None,
    storage: Annotated[
        str | None,
        typer.Option(help="Optuna storage URL (default: SQLite tune.db beside --output)."),
    ] = None,
    study_name: Annotated[
        str | None, typer.Option(help="Study name (default: tracker-data-split-metric).")
    ] = None,
    seed: Annotated[int, typer.Option(help="TPE seed.")] = 0,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Config file to write, .yaml or .json."),
    ] = None,
    list_space: Annotated[
        bool, typer.Option("--list-space", help="Show the tracker's search space and exit.")
    ] = False,
) -> None:
    """Tune a tracker's parameters on MOTChallenge detections (Optuna TPE); the score reported
    is held out (k-fold by sequence, or --val-data), never the one tuned on.

    Hold parameters fixed with --tracker.<param> VALUE (they leave the search space).
    """
    console = wide_console(stderr=True)
    try:
        if list_space:
            Console().print(space_table(tracker))
            return
        if data is None:
            raise ValueError("--data is required (a MOTChallenge folder)")
        name = tracker.strip().lower()
        output = output or Path("runs/tune") / f"{name}.yaml"
        output.parent.mkdir(parents=True, exist_ok=True)
        settings = TuneSettings(
            tracker=name,
            data=str(data),
            split=split,
            benchmark=benchmark.value,
            metric=metric,
            folds=folds,
            val_data=None if val_data is None else str(val_data),
            val_split=val_split,
            fixed=parse_tracker_options(tracker_class(name), list(ctx.args)),
            n_trials=n_trials,
            timeout=timeout,
            storage=storage or f"sqlite:///{output.parent / 'tune.db'}",
            study=study_name or f"{name}-{data.resolve().name}-{split}-{metric}",
            seed=seed,
        )
        settings.check()
        columns = [
            TextColumn("[bold]trials"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("best train {task.fields[best]}"),
            TimeElapsedColumn(),
        ]
        with (
            JobRunner(workers, executor, ray_address) as runner,
            Progress(*columns, console=console) as progress,
        ):
            task = progress.add_task("trials", total=n_trials, best="-")

            def show(done: int, total: int, best: float | None) -> None:
                text = "-" if best is None else f"{100 * best:.2f}"
                progress.update(task, completed=done, total=total, best=text)

            result = tune(settings, runner, show)
        report = result.report()
        save_tracker_config(output, TrackerConfig(result.tracker, result.params), {"tune": report})
    except (ValueError, FileNotFoundError, ImportError) as error:
        fail(error)
    except KeyboardInterrupt:  # complete trials are in the storage; unfinished ones are ignored
        Console(stderr=True).print("interrupted; rerun the same command to resume the studies")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    out = Console()
    out.print(result_table(result))
    if result.fell_back:
        out.print(
            "[yellow]tuning did not beat the defaults on held-out sequences; "
            "the defaults are written[/yellow]"
        )
    out.print(f"wrote {output}; studies in {settings.storage} ({settings.study}/...)")
    out.print(f"use it: keeptrack track --tracker-config {output} ...")

"""Entry point of the ``keeptrack`` command: one sub-command per module in this package."""

from __future__ import annotations

import typer

from keeptrack.cli.bench import bench
from keeptrack.cli.demo import demo
from keeptrack.cli.eval import evaluate
from keeptrack.cli.track import track
from keeptrack.cli.tune import tune_command

app = typer.Typer(
    name="keeptrack",
    help="Multi-object tracking: track videos, evaluate results, benchmark and tune trackers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """keeptrack: fast, faithful multi-object tracking."""


# Commands that run trackers accept --tracker.<param> options generated from tracker signatures
# and parsed by keeptrack.trackers.registry, so click must pass unknown options through.
_TRACKER_OPTIONS = {"allow_extra_args": True, "ignore_unknown_options": True}
app.command("eval")(evaluate)
app.command("bench", context_settings=_TRACKER_OPTIONS)(bench)
app.command("track", context_settings=_TRACKER_OPTIONS)(track)
app.command("demo", context_settings=_TRACKER_OPTIONS)(demo)
app.command("tune", context_settings=_TRACKER_OPTIONS)(tune_command)

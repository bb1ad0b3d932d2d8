"""Entry point of the ``keeptrack`` command: one sub-command per module in this package.

Sub-commands load on demand: ``keeptrack --help`` imports none of them, and ``keeptrack eval``
imports only the evaluation code (not OpenCV, supervision or the trackers), so a command costs
only what it uses.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from keeptrack.docstrings import terminal_text

#: Commands that run trackers accept --tracker.<param> options generated from tracker
#: signatures and parsed by keeptrack.trackers.registry, so click must pass them through.
_TRACKER_OPTIONS = {"allow_extra_args": True, "ignore_unknown_options": True}

#: name -> (module, function, one-line help for the command list, takes tracker options).
COMMANDS: dict[str, tuple[str, str, str, bool]] = {
    "track": (
        "keeptrack.cli.track",
        "track",
        "Track videos, webcams, streams or image folders into annotated videos and results.",
        True,
    ),
    "eval": (
        "keeptrack.cli.eval",
        "evaluate",
        "Score MOTChallenge results (TrackEval-exact).",
        False,
    ),
    "bench": ("keeptrack.cli.bench", "bench", "Run and score trackers on MOTChallenge data.", True),
    "tune": ("keeptrack.cli.tune", "tune_command", "Tune a tracker's parameters, held out.", True),
    "demo": ("keeptrack.cli.demo", "demo", "Track a built-in synthetic scene and score it.", True),
}


class LazyCommands(TyperGroup):
    """A command group that imports a sub-command's module only when that command runs.

    (Contexts and commands are typer's own click, which it vendors: no ``click`` import.)"""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, name: str) -> Any:
        if name not in COMMANDS:
            return None
        module, function, _, tracker_options = COMMANDS[name]
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        settings: dict[str, Any] = _TRACKER_OPTIONS if tracker_options else {}
        command = getattr(importlib.import_module(module), function)
        # the docstring is hard-wrapped for the source file; the terminal wraps it again
        single.command(name, context_settings=settings, help=terminal_text(command.__doc__))(
            command
        )
        return typer.main.get_command(single)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry[2]) for name, entry in COMMANDS.items()])


app = typer.Typer(
    name="keeptrack",
    cls=LazyCommands,
    help="Multi-object tracking: track videos, evaluate results, benchmark and tune trackers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        from keeptrack import __version__

        typer.echo(f"keeptrack {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """keeptrack: fast, faithful multi-object tracking."""

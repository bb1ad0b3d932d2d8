"""Run the reference implementation, TrackEval, on the same files (tests and benchmarks).

Needs ``trackeval`` (``pip install keeptrack[bench]``). TrackEval reads a fixed folder layout,
so the given files are symlinked into a temporary one; nothing is copied.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

_BENCHMARK_NAMES = {"mot17": "MOT17", "mot20": "MOT20", "plain": "MOT15"}


def trackeval_metrics(
    gt_files: Mapping[str, str | Path],
    result_files: Mapping[str, str | Path],
    lengths: Mapping[str, int],
    benchmark: str = "mot17",
) -> dict[str, dict[str, float]]:
    """TrackEval's HOTA, CLEAR, Identity and Count results in :func:`evaluate_mot_sequences`'s
    shape (``{sequence: metrics, "COMBINED": metrics}``, HOTA arrays averaged over alphas).

    Raises:
        ImportError: If trackeval is not installed, naming the extra that provides it.
    """
    try:
        import trackeval
    except ImportError:
        raise ImportError("trackeval is not installed: pip install 'keeptrack[bench]'") from None
    with tempfile.TemporaryDirectory(prefix="keeptrack-trackeval-") as tmp:
        root = Path(tmp)
        for name in gt_files:
            (root / "gt" / name / "gt").mkdir(parents=True)
            (root / "gt" / name / "gt" / "gt.txt").symlink_to(Path(gt_files[name]).resolve())
            (root / "trackers" / "t").mkdir(parents=True, exist_ok=True)
            (root / "trackers" / "t" / f"{name}.txt").symlink_to(Path(result_files[name]).resolve())
        dataset = trackeval.datasets.MotChallenge2DBox(
            {
                "GT_FOLDER": str(root / "gt"),
                "TRACKERS_FOLDER": str(root / "trackers"),
                "OUTPUT_FOLDER": str(root / "out"),
                "TRACKERS_TO_EVAL": ["t"],
                "TRACKER_SUB_FOLDER": "",
                "SEQ_INFO": {name: int(lengths[name]) for name in gt_files},
                "SKIP_SPLIT_FOL": True,
                "BENCHMARK": _BENCHMARK_NAMES[benchmark],
                "PRINT_CONFIG": False,
            }
        )
        evaluator = trackeval.Evaluator(
            {
                "USE_PARALLEL": False,
                "PRINT_RESULTS": False,
                "PRINT_CONFIG": False,
                "OUTPUT_SUMMARY": False,
                "OUTPUT_DETAILED": False,
                "PLOT_CURVES": False,
                "TIME_PROGRESS": False,
                "BREAK_ON_ERROR": True,
                "RETURN_ON_ERROR": False,
            }
        )
        metrics = [
            trackeval.metrics.HOTA(),
            trackeval.metrics.CLEAR({"PRINT_CONFIG": False}),
            trackeval.metrics.Identity({"PRINT_CONFIG": False}),
        ]
        with contextlib.redirect_stdout(io.StringIO()):
            raw, _ = evaluator.evaluate([dataset], metrics)
    out = {}
    for seq, res in raw["MotChallenge2DBox"]["t"].items():
        flat: dict[str, float] = {}
        for fields in res["pedestrian"].values():
            flat.update({k: float(np.mean(v)) for k, v in fields.items()})
        out["COMBINED" if seq == "COMBINED_SEQ" else seq] = flat
    return out

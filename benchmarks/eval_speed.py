"""Evaluation speed: keeptrack.eval against TrackEval on the same files, in the same run.

Scores the published MPNTrack results (FRCNN files) on the 7 MOT17 train sequences with HOTA,
CLEAR, Identity and Count, timing everything from reading the text files to the combined
metrics, and checks on the way that both give the same numbers. Runs alternate between the two
implementations so machine load affects both alike; the best of ``--repeat`` runs is reported.

    python benchmarks/eval_speed.py [--repeat 5] [--tracker MPNTrack]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import data_dir  # noqa: E402

from keeptrack.eval import evaluate_mot_sequences  # noqa: E402
from keeptrack.eval.crosscheck import trackeval_metrics  # noqa: E402
from keeptrack.io.mot import read_mot_tracks, read_seqinfo  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tracker", default="MPNTrack", help="folder in reference-results/")
    args = parser.parse_args()
    root = data_dir() / "mot17-train"
    names = sorted(p.name for p in root.glob("MOT17-*") if p.is_dir())
    lengths = {n: read_seqinfo(root / n).length for n in names}
    gt_files = {n: root / n / "gt" / "gt.txt" for n in names}
    result_files = {n: root / "reference-results" / args.tracker / f"{n}.txt" for n in names}

    def keeptrack_run() -> dict:
        gt = {n: read_mot_tracks(gt_files[n], lengths[n]) for n in names}
        return evaluate_mot_sequences(gt, result_files, lengths)

    def trackeval_run() -> dict:
        return trackeval_metrics(gt_files, result_files, lengths)

    runs = {"keeptrack.eval": keeptrack_run, "trackeval 1.3.0": trackeval_run}
    times: dict[str, list[float]] = {name: [] for name in runs}
    outputs = {name: fn() for name, fn in runs.items()}  # warm-up: imports, file cache
    for _ in range(args.repeat):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)

    ours, ref = outputs["keeptrack.eval"], outputs["trackeval 1.3.0"]
    worst = max(abs(ours[s][k] - v) for s in ref for k, v in ref[s].items() if k in ours[s])
    frames = sum(lengths.values())
    best_ref = min(times["trackeval 1.3.0"])
    print(
        f"\n{args.tracker} on {len(names)} MOT17 train sequences ({frames} frames), "
        f"HOTA + CLEAR + Identity + Count, best of {args.repeat} runs (median in brackets)\n"
    )
    print("| implementation | seconds | frames/s | speed-up |")
    print("|---|---|---|---|")
    for name, values in times.items():
        best = min(values)
        print(
            f"| {name} | {best:.2f} ({statistics.median(values):.2f}) | {frames / best:,.0f} "
            f"| {best_ref / best:.1f}x |"
        )
    combined = ours["COMBINED"]
    print(
        f"\nlargest difference over every field, per sequence and combined: {worst:.1e}; "
        f"HOTA {100 * combined['HOTA']:.2f}, MOTA {100 * combined['MOTA']:.2f}, "
        f"IDF1 {100 * combined['IDF1']:.2f}"
    )


if __name__ == "__main__":
    main()

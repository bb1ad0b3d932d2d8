"""ByteTrack's appearance settings, chosen leave-one-video-out (issue 13's protocol check).

Four videos have pixels (``benchmarks/adapt.py``), too few to hold a set out. So each video in
turn is held out: the settings with the best combined IDF1 on the other three are chosen, then
scored on the held-out one. The held-out scores, combined, say what a choice made without the
video would have given; if every fold picks the same settings, they can be a default.

    python benchmarks/appearance_defaults.py [--cache /tmp/emb] [--features adapted|mobilenet]
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import data_dir  # noqa: E402
from adapt import SEQUENCES, adapt, base_features, load_sequence, run_keeptrack  # noqa: E402

from keeptrack import ByteTrackTracker  # noqa: E402
from keeptrack.appearance import ReIDModel  # noqa: E402
from keeptrack.appearance.adapt import AdaptedModel  # noqa: E402
from keeptrack.eval import COMBINED, evaluate_mot_sequences  # noqa: E402

GRID = {
    "appearance_threshold": (0.05, 0.1, 0.15, 0.2, 0.25),
    "proximity_iou_threshold": (0.2, 0.35, 0.5),
    "reid_threshold": (0.09, 0.15, 0.2),
}


def score(sequences, results, names) -> dict:
    chosen = [s for s in sequences if s.name in names]
    return evaluate_mot_sequences(
        {s.name: s.gt for s in chosen},
        {s.name: results[s.name] for s in chosen},
        {s.name: s.length for s in chosen},
        benchmark="plain",
    )[COMBINED]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--features", choices=("adapted", "mobilenet"), default="adapted")
    args = parser.parse_args()
    root = data_dir() / "mot15-train"
    sequences = [load_sequence(root / name) for name in SEQUENCES]
    model = ReIDModel.mobilenetv2("onnx", threads=2)
    appearance = {}
    for seq in sequences:
        features = base_features(model, seq, args.cache)
        if args.features == "adapted":
            head, _ = adapt(seq, features)
            features = [
                head(f) if len(f) else np.empty((0, head.dim), np.float32) for f in features
            ]
            appearance[seq.name] = (AdaptedModel(model, head), features)
        else:
            appearance[seq.name] = (model, features)

    def results_for(settings: dict) -> dict:
        out = {}
        for seq in sequences:
            reid, features = appearance[seq.name]
            tracker = ByteTrackTracker(
                frame_rate=seq.frame_rate, feature_extractor=reid, **settings
            )
            out[seq.name] = run_keeptrack(tracker, seq, features)
        return out

    motion = {
        s.name: run_keeptrack(ByteTrackTracker(frame_rate=s.frame_rate), s, None) for s in sequences
    }
    keys = list(GRID)
    runs = {}
    for values in itertools.product(*GRID.values()):
        runs[values] = results_for(dict(zip(keys, values, strict=True)))
    defaults = tuple(ByteTrackTracker().__dict__[k] for k in keys)
    print(f"\n{args.features} features; grid {dict(GRID)}\n")
    print("| held out | chosen on the other three | held-out IDF1 chosen | defaults | motion |")
    print("|---|---|---|---|---|")
    held_out = {}
    names = [s.name for s in sequences]
    for name in names:
        others = [n for n in names if n != name]
        best = max(runs, key=lambda v: score(sequences, runs[v], others)["IDF1"])
        held_out[name] = runs[best][name]
        row = [score(sequences, r, [name])["IDF1"] for r in (runs[best], runs[defaults], motion)]
        print(f"| {name} | {dict(zip(keys, best, strict=True))} | "
              + " | ".join(f"{100 * v:.1f}" for v in row) + " |")  # fmt: skip
    combined = {
        "chosen held-out": score(sequences, held_out, names),
        "defaults": score(sequences, runs[defaults], names),
        "motion only": score(sequences, motion, names),
    }
    best_all = max(runs, key=lambda v: score(sequences, runs[v], names)["IDF1"])
    combined[f"best on all four {best_all}"] = score(sequences, runs[best_all], names)
    print("\n| combined | IDF1 | HOTA | IDSW |\n|---|---|---|---|")
    for label, metrics in combined.items():
        print(f"| {label} | {100 * metrics['IDF1']:.1f} | {100 * metrics['HOTA']:.1f} | "
              f"{int(metrics['IDSW'])} |")  # fmt: skip


if __name__ == "__main__":
    main()

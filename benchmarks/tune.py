"""``keeptrack tune`` honesty check: is the held-out score what the parameters then get?

For each tracker and data set, runs :func:`keeptrack.tune.tune` with k-fold by-sequence
cross-validation, then scores the written parameters and the defaults where no study looked:

- MOT17: tuned on the train half (frames 1..h, ``--split train-half``), 3 folds; the written
  parameters and the defaults are then scored on the val half (frames h+1..N, the README's
  protocol), which tuning never saw. The train half's detections are inflated (the detector
  was trained on those frames), so absolute train-half scores sit ~8 HOTA above the val half;
  the comparable quantity is the gain over the defaults.
- DanceTrack dev: 4 folds over all 8 sequences. There is no further unseen split here, so the
  written parameters' score on all 8 sequences is in-sample: the gap to the held-out score is
  the optimism a training score would have reported.
- ``dancetrack-half``: the unseen check DanceTrack lacks. 4 folds over the 4 sequences
  0005, 0025, 0043, 0077 (every other one, sorted), then the written parameters and the
  defaults are scored on the other 4, which tuning never saw.

Studies go to ``--storage-dir``/tune.db (SQLite), so an interrupted run resumes.

    python benchmarks/tune.py [--trackers sort,bytetrack] [--datasets mot17,dancetrack]
        [--n-trials 60] [--workers 2] [--storage-dir runs/tune-bench]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import data_dir  # noqa: E402

from keeptrack.eval import COMBINED  # noqa: E402
from keeptrack.eval.evaluate import summarize_sequences  # noqa: E402
from keeptrack.executors import JobRunner  # noqa: E402
from keeptrack.sweep import SequenceJob, collect, track_and_score  # noqa: E402
from keeptrack.tune import TuneSettings, sequence_folders, tune  # noqa: E402

#: name -> (folder under the data dir, split tuned on, folds, split of the unseen check,
#: which sorted sequences are tuned on and which checked: None for all of them).
DATASETS = {
    "mot17": ("mot17-train", "train-half", 3, "val-half", None),
    "dancetrack": ("dancetrack-dev", "all", 4, "all", None),
    "dancetrack-half": ("dancetrack-dev", "all", 4, "all", (slice(0, None, 2), slice(1, None, 2))),
}


def linked_subset(source: Path, pick: slice, folder: Path) -> str:
    """A folder of links to the sequences ``pick`` selects from ``source`` (sorted)."""
    folder.mkdir(parents=True, exist_ok=True)
    for sequence in sequence_folders(str(source))[pick]:
        link = folder / Path(sequence).name
        if not link.exists():
            link.symlink_to(sequence)
    return str(folder)


def score(runner: JobRunner, tracker: str, params: dict, data: str, split: str) -> dict:
    """Combined metrics of ``params`` on every sequence of ``data`` (``split`` frames)."""
    jobs = [SequenceJob(f, split, tracker, params, "mot17") for f in sequence_folders(data)]
    done = collect(dict(runner.map(track_and_score, jobs)), len(jobs))
    return summarize_sequences({o.name: o.metrics for o in done})[COMBINED]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trackers", default="sort,bytetrack")
    parser.add_argument("--datasets", default="mot17,dancetrack")
    parser.add_argument("--n-trials", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--storage-dir", type=Path, default=Path("runs/tune-bench"))
    args = parser.parse_args()
    args.storage_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with JobRunner(args.workers) as runner:
        for dataset in args.datasets.split(","):
            folder, split, folds, check_split, subsets = DATASETS[dataset]
            data = check_data = str(data_dir() / folder)
            if subsets is not None:
                links = args.storage_dir / "links" / dataset
                data = linked_subset(Path(data), subsets[0], links / "tune")
                check_data = linked_subset(Path(check_data), subsets[1], links / "check")
            for tracker in args.trackers.split(","):
                settings = TuneSettings(
                    tracker=tracker,
                    data=data,
                    split=split,
                    folds=folds,
                    n_trials=args.n_trials,
                    storage=f"sqlite:///{args.storage_dir / 'tune.db'}",
                    study=f"{tracker}-{dataset}",
                )
                start = time.perf_counter()
                result = tune(settings, runner)
                minutes = (time.perf_counter() - start) / 60
                chosen = score(runner, tracker, result.params, check_data, check_split)
                default = score(runner, tracker, {}, check_data, check_split)  # the defaults
                row = {
                    "dataset": dataset,
                    "tracker": tracker,
                    "trials": result.trials,
                    "minutes": minutes,
                    "held_out": result.held_out,
                    "tuned_held_out": result.tuned_held_out,
                    "defaults_held_out": result.defaults_held_out,
                    "train": result.train,
                    "fell_back": result.fell_back,
                    "check_split": check_split if subsets is None else "other 4 sequences",
                    "chosen_check": chosen["HOTA"],
                    "defaults_check": default["HOTA"],
                    "chosen_idf1": chosen["IDF1"],
                    "defaults_idf1": default["IDF1"],
                    "params": result.params,
                    "folds": result.folds,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
    (args.storage_dir / "tune-bench.json").write_text(json.dumps(rows, indent=2) + "\n")
    print_table(rows)


def print_table(rows: list[dict]) -> None:
    """The Markdown table of BENCHMARKS.md (HOTA in percent)."""
    print(
        "\n| data | tracker | trials/study | held-out (CV) | defaults held-out | train "
        "(in-sample) | unseen check | chosen | defaults | held-out - chosen | fell back |"
    )
    print("|---" * 11 + "|")
    for r in rows:
        p = {k: 100 * r[k] for k in ("held_out", "defaults_held_out", "train")}
        c, d = 100 * r["chosen_check"], 100 * r["defaults_check"]
        trials = min(r["trials"].values())
        print(
            f"| {r['dataset']} | {r['tracker']} | {trials} | {p['held_out']:.2f} | "
            f"{p['defaults_held_out']:.2f} | {p['train']:.2f} | {r['check_split']} | {c:.2f} | "
            f"{d:.2f} | {p['held_out'] - c:+.2f} | {r['fell_back']} |"
        )


if __name__ == "__main__":
    main()

"""Evaluation as whole processes: ``keeptrack eval`` (the CLI) against TrackEval 1.3.0.

A user times the command, not a function: start-up and imports count. Both score the
published MPNTrack results on the 7 MOT17 train sequences (HOTA, CLEAR, Identity); TrackEval
runs as a ``python -c`` process doing what its ``run_mot_challenge.py`` does for these files
(:func:`keeptrack.eval.crosscheck.trackeval_metrics`). The two alternate; median of
``--repeat`` runs.

    python benchmarks/eval_process.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import data_dir  # noqa: E402

TRACKEVAL = """
import sys
from pathlib import Path
from keeptrack.eval.crosscheck import trackeval_metrics
from keeptrack.io.mot import read_seqinfo
root, results = Path(sys.argv[1]), Path(sys.argv[2])
names = sorted(p.name for p in root.glob("MOT17-*") if p.is_dir())
lengths = {n: read_seqinfo(root / n).length for n in names}
trackeval_metrics({n: root / n / "gt" / "gt.txt" for n in names},
                  {n: results / f"{n}.txt" for n in names}, lengths)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    root = data_dir() / "mot17-train"
    results = root / "reference-results" / "MPNTrack"
    out = Path(tempfile.mkdtemp())
    keeptrack = shutil.which("keeptrack") or "keeptrack"
    commands = {
        "keeptrack eval": [keeptrack, "eval", "--gt-dir", str(root), "--results-dir",
                           str(results), "--benchmark", "mot17", "--output-dir", str(out)],
        "trackeval 1.3.0": [sys.executable, "-c", TRACKEVAL, str(root), str(results)],
    }  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in commands}
    cpu: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, command in commands.items():
            start, used = time.perf_counter(), children_cpu()
            subprocess.run(command, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
            cpu[name].append(children_cpu() - used)
    wall_ref = statistics.median(times["trackeval 1.3.0"])
    cpu_ref = statistics.median(cpu["trackeval 1.3.0"])
    print(f"\nWhole processes, MPNTrack on 7 MOT17 train sequences, median of {args.repeat}\n")
    print("| command | wall s (median) | best | CPU s (median) | speed-up wall | speed-up CPU |")
    print("|---|---|---|---|---|---|")
    for name in commands:
        wall, used = statistics.median(times[name]), statistics.median(cpu[name])
        print(f"| {name} | {wall:.2f} | {min(times[name]):.2f} | {used:.2f} | "
              f"{wall_ref / wall:.1f}x | {cpu_ref / used:.1f}x |")  # fmt: skip


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process so far: load on a shared
    machine stretches wall time, not the CPU time a command needs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    main()

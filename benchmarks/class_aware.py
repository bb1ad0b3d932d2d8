"""Cost of class-aware association: each tracker with ``class_aware=True`` against ``False``.

Issue 5's target is that class-aware tracking runs within 10% of class-blind tracking. Both
settings see the same MOT17 val-half detections (YOLOX-X, one class, so the gate never fires
and the work compared is exactly the gate's); runs alternate between the two settings and the
table gives the best of ``--repeat`` (tracker time inside ``update`` only).

    python benchmarks/class_aware.py [--trackers sort,bytetrack,ocsort,botsort] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import mot17_sequences  # noqa: E402

from keeptrack.benchmark import track_detections  # noqa: E402
from keeptrack.trackers.registry import create_tracker  # noqa: E402


def seconds(name: str, class_aware: bool, sequences) -> float:
    return sum(
        track_detections(
            create_tracker(name, frame_rate=s.frame_rate, class_aware=class_aware), s.frames
        )[1]
        for s in sequences
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trackers", default="sort,bytetrack,ocsort,botsort")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sequences = mot17_sequences()
    frames = sum(s.length for s in sequences)
    print(f"MOT17 val half, {frames} frames, best of {args.repeat}\n")
    print("| tracker | class-blind frames/s | class-aware frames/s | time aware / blind |")
    print("|---|---|---|---|")
    for name in args.trackers.split(","):
        seconds(name, True, sequences[:1])  # compile and warm up both code paths
        best = {False: float("inf"), True: float("inf")}
        for _ in range(args.repeat):
            for aware in (False, True):
                best[aware] = min(best[aware], seconds(name, aware, sequences))
        print(
            f"| {name} | {frames / best[False]:,.0f} | {frames / best[True]:,.0f} "
            f"| {best[True] / best[False]:.2f} |"
        )


if __name__ == "__main__":
    main()

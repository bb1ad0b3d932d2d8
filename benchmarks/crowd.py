"""Crowds: one frame of N detections against N live tracks, for N = 100, 1,000 and 5,000.

A stadium camera or a top-down view of a station sees thousands of people at once. Each tracker
first tracks N objects on a grid for a few frames (so N tracks are live and confirmed), then the
time of the next ``update`` is measured (best of ``--repeat`` frames). Two layouts:

- ``sparse``: objects 1.5 box widths apart, so each detection overlaps one track;
- ``dense``: objects half a box width apart, so every detection overlaps several tracks and the
  assignment has real choices to make (the worst case for the solver).

Target (issue 14): 5,000 x 5,000 under 1 s per frame for ByteTrack.

    python benchmarks/crowd.py [--sizes 100,1000,5000] [--trackers sort,bytetrack]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from keeptrack.trackers.registry import TRACKERS, create_tracker

#: Box size of every object (pixels).
WIDTH, HEIGHT = 20.0, 40.0


def crowd(n: int, spacing: float, frame: int, seed: int = 0) -> np.ndarray:
    """``(n, 5)`` detections on a square grid, every object walking right 1 px per frame, with
    a little per-frame jitter."""
    side = int(np.ceil(np.sqrt(n)))
    k = np.arange(n)
    x = (k % side) * WIDTH * spacing + frame
    y = (k // side) * HEIGHT * spacing
    jitter = np.random.default_rng(seed + frame).normal(0, 0.5, (n, 2))
    x1, y1 = x + jitter[:, 0], y + jitter[:, 1]
    return np.column_stack([x1, y1, x1 + WIDTH, y1 + HEIGHT, np.full(n, 0.9)])


def time_frame(name: str, n: int, spacing: float, repeat: int) -> tuple[float, float, int]:
    """Best CPU and wall seconds per frame once ``n`` tracks are live, and how many were
    reported. CPU time (``time.process_time``) is what the tracker costs; wall time also holds
    whatever else the machine ran meanwhile."""
    params = {"minimum_consecutive_frames": 1} if name != "sort" else {}
    tracker = create_tracker(name, **params)
    rng = np.random.default_rng(0)
    dim = 16

    def update(frame: int) -> np.ndarray:
        detections = crowd(n, spacing, frame)
        if name == "deepsort":
            embeddings = rng.normal(size=(n, dim)).astype(np.float32)
            return tracker.update(detections, embeddings=embeddings)
        return tracker.update(detections)

    for frame in range(4):  # start and confirm the tracks (and compile the step)
        update(frame)
    best_cpu, best_wall, reported = np.inf, np.inf, 0
    for frame in range(4, 4 + repeat):
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        out = update(frame)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        best_wall = min(best_wall, time.perf_counter() - start_wall)
        reported = len(out)
    return best_cpu, best_wall, reported


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,5000")
    parser.add_argument("--trackers", default=",".join(TRACKERS))
    parser.add_argument("--layouts", default="sparse,dense")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    spacings = {"sparse": 1.5, "dense": 0.5}
    print("| tracker | layout | detections x tracks | CPU s / frame | wall s / frame | reported |")
    print("|---|---|---|---|---|---|", flush=True)
    for name in args.trackers.split(","):
        for layout in args.layouts.split(","):
            for n in (int(s) for s in args.sizes.split(",")):
                cpu, wall, reported = time_frame(name, n, spacings[layout], args.repeat)
                print(
                    f"| {name} | {layout} | {n:,} x {n:,} | {cpu:.4f} | {wall:.4f} | "
                    f"{reported:,} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()

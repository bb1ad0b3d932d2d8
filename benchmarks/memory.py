"""Memory over a long stream: does a tracker's footprint stay flat?

Feeds 100,000 synthetic frames in which objects keep appearing, walking across and leaving, and
prints peak RSS after the first 1,000 frames and at the end. The issue's target is growth below
10 MB; per-frame garbage (tracks never freed, histories growing) would show up here.

    python benchmarks/memory.py [--frames 100000] [--trackers sort,bytetrack]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import synthetic_stream  # noqa: E402

from keeptrack.trackers.registry import create_tracker  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(name: str, frames: int) -> None:
    """Run one tracker in this process and print its table row."""
    tracker = create_tracker(name)
    after_warmup = 0.0
    for index, (detections, _) in enumerate(synthetic_stream(frames), start=1):
        tracker.update(detections)
        if index == 1_000:
            after_warmup = peak_rss_mb()
    end = peak_rss_mb()
    print(f"| {name} | {frames:,} | {after_warmup:.1f} | {end:.1f} | {end - after_warmup:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--trackers", default="sort,bytetrack")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure(args.one, args.frames)
        return
    print(
        "| tracker | frames | peak RSS at frame 1,000 (MB) | peak RSS at end (MB) | growth (MB) |"
    )
    print("|---|---|---|---|---|", flush=True)
    for name in args.trackers.split(","):
        # A fresh process per tracker: peak RSS is per process and never goes down.
        command = [sys.executable, __file__, "--one", name, "--frames", str(args.frames)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()

"""Soak: a million frames per tracker -- does memory stay flat and speed stay constant?

A tracker inside a camera pipeline runs for days. Each tracker here gets 1,000,000 synthetic
frames in which objects keep entering, walking across and leaving (about 20 alive at a time,
each living ~150 frames; ``benchmarks/memory.py``'s stream), and every 100,000 frames the script
prints the resident set size and the frames/s of the last block. Targets (issue 14): RSS grows by
less than 10 MB between frame 100k and frame 1M, and the last block's frames/s is within 10% of
the first block's. DeepSORT gets one fixed random embedding per object (plus noise), so its
feature galleries fill and empty as they would with a real model.

    python benchmarks/soak.py [--frames 1000000] [--every 100000] [--trackers sort,bytetrack]

At the end each aged tracker races a fresh one, 500-frame chunks in turn on the same machine
(the last row per tracker: aged vs fresh frames/s and their ratio), which no other load can
bias. Each tracker runs in a fresh process, so RSS belongs to that tracker alone. Frames/s are
counted in CPU time spent inside ``update`` (``time.process_time``), so other work on a shared
machine does not pass for a slowdown; the wall time of each block is printed too.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import synthetic_stream  # noqa: E402

from keeptrack.trackers.registry import TRACKERS, create_tracker  # noqa: E402

EMBEDDING_DIM = 32


def rss_mb() -> float:
    """Current resident set size (not the peak: a leak shows as growth, a spike does not)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


#: One random direction per object (ids alive at the same time are far fewer than this).
_BANK = np.random.default_rng(2).normal(size=(4096, EMBEDDING_DIM))


def embeddings_for(ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A fixed direction per object id plus a little noise per frame."""
    base = _BANK[ids % len(_BANK)]
    return (base + rng.normal(0, 0.05, base.shape)).astype(np.float32)


def measure(name: str, frames: int, every: int) -> None:
    """Run one tracker in this process and print one table row per block."""
    tracker = create_tracker(name)
    needs_embeddings = name == "deepsort"
    rng = np.random.default_rng(1)
    block_start = time.perf_counter()
    tracker_seconds = 0.0
    first: tuple[float, float] | None = None
    stream = synthetic_stream(frames + 10**9)  # runs on past ``frames`` for the comparison
    for index, (detections, ids) in enumerate(stream, start=1):
        if index > frames:
            break
        extra = {"embeddings": embeddings_for(ids, rng)} if needs_embeddings else {}
        start = time.process_time()
        tracker.update(detections, **extra)
        tracker_seconds += time.process_time() - start
        if index == 1:  # the first update compiles the step: not part of any block
            tracker_seconds = 0.0
            block_start = time.perf_counter()
            continue
        if index % every == 0:
            block_frames = every - 1 if index == every else every
            fps = block_frames / tracker_seconds
            rss = rss_mb()
            first = first or (rss, fps)
            wall = time.perf_counter() - block_start
            print(
                f"| {name} | {index:,} | {rss:.1f} | {rss - first[0]:+.2f} | {fps:,.0f} | "
                f"{fps / first[1]:.2f} | {wall:.0f} |",
                flush=True,
            )
            tracker_seconds = 0.0
            block_start = time.perf_counter()
    aged_vs_fresh(name, tracker, stream, rng)


def aged_vs_fresh(name: str, aged, stream, rng: np.random.Generator, chunks: int = 20) -> None:
    """Speed of the aged tracker against a fresh one under the same load: they take turns on
    500-frame chunks of their own streams, so whatever else the machine runs slows both alike
    (on a shared machine the block rates above drift with the load, this ratio does not)."""
    fresh = create_tracker(name)
    young = synthetic_stream(10**9, seed=3)
    needs_embeddings = name == "deepsort"
    seconds = {"aged": 0.0, "fresh": 0.0}
    for _ in range(2_000):  # the fresh stream reaches its steady number of objects
        detections, ids = next(young)
        fresh.update(detections, **(
            {"embeddings": embeddings_for(ids, rng)} if needs_embeddings else {}
        ))  # fmt: skip
    for _ in range(chunks):
        for label, tracker, frames in (("aged", aged, stream), ("fresh", fresh, young)):
            for _ in range(500):
                detections, ids = next(frames)
                extra = {"embeddings": embeddings_for(ids, rng)} if needs_embeddings else {}
                start = time.process_time()
                tracker.update(detections, **extra)
                seconds[label] += time.process_time() - start
    frames = chunks * 500
    aged_fps, fresh_fps = frames / seconds["aged"], frames / seconds["fresh"]
    print(
        f"| {name} | aged vs fresh, interleaved | {rss_mb():.1f} | | {aged_fps:,.0f} vs "
        f"{fresh_fps:,.0f} | {aged_fps / fresh_fps:.2f} | |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=100_000)
    parser.add_argument("--trackers", default=",".join(TRACKERS))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        measure(args.one, args.frames, args.every)
        return
    print(
        "| tracker | frame | RSS (MB) | RSS since first block (MB) | tracker frames/s "
        "(block) | vs first block | block wall s |"
    )
    print("|---|---|---|---|---|---|---|", flush=True)
    for name in args.trackers.split(","):
        command = [sys.executable, __file__, "--one", name]
        command += ["--frames", str(args.frames), "--every", str(args.every)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()

"""Tracker-only speed of keeptrack.compat.ultralytics next to Ultralytics' own trackers.

Ultralytics 8.4.190 (``pip install --no-deps ultralytics==8.4.190``, run as a black box through
``tests/ultralytics_blackbox.py``) and keeptrack's drop-ins get the same MOT17 train detections
(all 5,316 frames of the 7 sequences, every score) as Ultralytics' own ``Boxes`` (NumPy-backed,
``float32``: what ``model.track`` hands its tracker), built before timing, through the shipped
``bytetrack.yaml`` / ``botsort.yaml`` (BOTSORT with ``gmc_method: none``). Time is inside
``update`` only, best of ``--repeat`` passes, the two trackers run one after the other on each
sequence so machine noise hits them alike; the ratio is what counts. Every frame's rows are
compared too, so the table says how many frames agree.

    python benchmarks/ultralytics_compat.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _common import mot17_sequences  # noqa: E402
from ultralytics_blackbox import default_args, ultralytics_trackers  # noqa: E402

from keeptrack.compat.ultralytics import BOTSORT, BYTETracker  # noqa: E402

#: name -> (keeptrack drop-in, Ultralytics class, args overriding the shipped YAML).
TRACKERS = {
    "bytetrack": (BYTETracker, "BYTETracker", {}),
    "botsort": (BOTSORT, "BOTSORT", {"gmc_method": "none"}),
}


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Rows equal, boxes within 1e-4 px."""
    return (
        a.shape == b.shape
        and np.array_equal(a[:, 4:], b[:, 4:])
        and np.abs(a[:, :4] - b[:, :4]).max(initial=0.0) <= 1e-4
    )


def boxes(ultralytics, dets: np.ndarray):
    """Ultralytics ``Boxes`` of ``[x1, y1, x2, y2, score]`` rows (class 0), as after
    ``.cpu().numpy()``; the image size only matters for normalised boxes, which no tracker
    reads."""
    data = np.column_stack([dets, np.zeros(len(dets))]).astype(np.float32)
    return ultralytics.Boxes(data, (1080, 1920))


def one_pass(name: str, streams: list[list], ultralytics) -> tuple[float, float, int, int]:
    """Seconds inside ``update`` (keeptrack, Ultralytics), identical frames and frames."""
    compat, reference, overrides = TRACKERS[name]
    ours_time = theirs_time = 0.0
    agree = frames = 0
    for stream in streams:
        ours = compat(dict(overrides))
        theirs = getattr(ultralytics, reference)(default_args(ultralytics, name, **overrides))
        ours_rows, theirs_rows = [], []
        start = time.perf_counter()
        for results in stream:
            ours_rows.append(ours.update(results))
        ours_time += time.perf_counter() - start
        start = time.perf_counter()
        for results in stream:
            theirs_rows.append(theirs.update(results))
        theirs_time += time.perf_counter() - start
        agree += sum(same(a, b) for a, b in zip(ours_rows, theirs_rows, strict=True))
        frames += len(stream)
    return ours_time, theirs_time, agree, frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best one counts")
    args = parser.parse_args()
    ultralytics = ultralytics_trackers()
    streams = [[boxes(ultralytics, d) for d in seq.frames] for seq in mot17_sequences("all")]
    BYTETracker().update(streams[0][0])  # compile (or load) keeptrack's steps before timing
    BOTSORT({"gmc_method": "none"}).update(streams[0][0])
    print(f"Ultralytics {ultralytics.version}, MOT17 train, {sum(map(len, streams))} frames")
    print("| tracker | Ultralytics frames/s | keeptrack.compat frames/s | speed-up | same rows |")
    print("|---|---:|---:|---:|---:|")
    for name in TRACKERS:
        passes = [one_pass(name, streams, ultralytics) for _ in range(args.repeat)]
        ours = min(p[0] for p in passes)
        theirs = min(p[1] for p in passes)
        _, _, agree, frames = passes[0]
        print(
            f"| {name} | {frames / theirs:,.0f} | {frames / ours:,.0f} | "
            f"{theirs / ours:.1f}x | {agree} / {frames} |"
        )


if __name__ == "__main__":
    main()

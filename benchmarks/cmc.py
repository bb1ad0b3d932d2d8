"""Camera motion compensation and class-aware association: cost and benefit.

1. CMC cost per frame of each OpenCV method on ETH-Sunnyday's 640x480 JPEGs (median over the
   sequence, decoding excluded) and the tracking gain it buys there (moving camera): HOTA /
   IDF1 / IDSW of each tracker without CMC, with sparse-flow CMC and with the frame-free
   box-based estimate (``cmc="boxes"``).
2. Class-aware speed: each tracker on MOT17 val half detections with ``class_aware=True``
   against ``class_aware=False`` on the same input (one class, so both track identically and
   the difference is the cost of the class gate).

    python benchmarks/cmc.py [--downscale 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import data_dir, mot17_sequences  # noqa: E402

from keeptrack.eval import COMBINED, evaluate_mot_sequences  # noqa: E402
from keeptrack.geometry import xyxy_to_tlwh  # noqa: E402
from keeptrack.io.sequence import load_sequence  # noqa: E402
from keeptrack.motion.cmc import BOXES, CMC, METHODS, PrecomputedWarps  # noqa: E402
from keeptrack.trackers.registry import create_tracker  # noqa: E402

TRACKERS = ("sort", "bytetrack", "ocsort", "botsort")


def cmc_speed_and_gain(downscale: int) -> None:
    root = data_dir() / "mot15-train" / "ETH-Sunnyday"
    files = sorted((root / "img1").glob("*.jpg"))
    frames = [cv2.imread(str(f)) for f in files]
    seq = load_sequence(root, det_name="det_frcnn_sort.txt")
    dets, gt = seq.frames, seq.gt
    print(f"ETH-Sunnyday, {len(frames)} frames of {frames[0].shape[1]}x{frames[0].shape[0]}\n")
    print(f"| CMC method (downscale {downscale}) | min ms/frame | median | p95 |")
    print("|---|---|---|---|")
    warps = {}
    for method in METHODS:
        cmc, times, out = CMC(method, downscale=downscale), [], []
        for frame, d in zip(frames, dets, strict=True):
            start = time.perf_counter()
            out.append(cmc.estimate(frame, d[:, :4]))
            times.append(time.perf_counter() - start)
        warps[method] = np.stack(out)
        ms = 1000 * np.array(times[1:])
        print(f"| {method} | {ms.min():.2f} | {np.median(ms):.2f} | {np.percentile(ms, 95):.2f} |")

    print("\n| tracker | CMC | HOTA | IDF1 | MOTA | IDSW |")
    print("|---|---|---|---|---|---|")
    blank = np.zeros((1, 1), np.uint8)  # CMC runs only when a frame is given; warps are replayed
    for name in TRACKERS:
        for method in (None, "sparse_flow", BOXES):
            # "boxes" (BoxMotion) needs no pixels: it works from the detections alone.
            cmc = method if method in (None, BOXES) else PrecomputedWarps(warps[method])
            tracker = create_tracker(name, frame_rate=14, cmc=cmc)
            rows = []
            for index, d in enumerate(dets, start=1):
                out = tracker.update(d, frame=blank)
                rows.append(
                    np.column_stack(
                        [np.full(len(out), index), out[:, 4], xyxy_to_tlwh(out[:, :4]), out[:, 5]]
                    )
                )
            m = evaluate_mot_sequences(
                {"ETH": gt}, {"ETH": np.concatenate(rows)}, {"ETH": len(frames)}, "plain"
            )[COMBINED]
            print(
                f"| {name} | {method or 'none'} | {100 * np.mean(m['HOTA']):.1f} "
                f"| {100 * m['IDF1']:.1f} | {100 * m['MOTA']:.1f} | {m['IDSW']:.0f} |"
            )


def class_aware_speed(repeats: int = 5) -> None:
    sequences = mot17_sequences()
    inputs = [[np.column_stack([d, np.zeros(len(d))]) for d in s.frames] for s in sequences]
    print("\n| tracker | class-blind s | class-aware s | ratio |")
    print("|---|---|---|---|")
    for name in TRACKERS:
        # Interleaved runs, best of ``repeats``: robust to other load on a shared machine.
        timing = {False: np.inf, True: np.inf}
        for _ in range(repeats):
            for aware in (False, True):
                start = time.perf_counter()
                for seq, frames in zip(sequences, inputs, strict=True):
                    tracker = create_tracker(name, frame_rate=seq.frame_rate, class_aware=aware)
                    for d in frames:
                        tracker.update(d)
                timing[aware] = min(timing[aware], time.perf_counter() - start)
        print(
            f"| {name} | {timing[False]:.2f} | {timing[True]:.2f} "
            f"| {timing[True] / timing[False]:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--downscale", type=int, default=2)
    args = parser.parse_args()
    cmc_speed_and_gain(args.downscale)
    class_aware_speed()


if __name__ == "__main__":
    main()

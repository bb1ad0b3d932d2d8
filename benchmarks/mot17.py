"""MOT17 val-half benchmark: accuracy, tracker-only speed and memory of each tracker.

Runs every tracker on the YOLOX-X detections of the seven MOT17 train sequences with the
val-half protocol of ``shared/data/README.md``, writes MOTChallenge results, scores them and
prints one table. Roboflow ``trackers`` (``pip install keeptrack[bench]``) is run side by side
when installed.

    python benchmarks/mot17.py [--out runs/mot17] [--trackers sort,ocsort,rf-ocsort,...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Sequence, mot17_sequences  # noqa: E402

from keeptrack.benchmark import bytetrack_output_filter, track_detections  # noqa: E402
from keeptrack.io.mot import write_mot_results  # noqa: E402
from keeptrack.trackers.registry import create_tracker  # noqa: E402


def roboflow_factory(name: str):
    """A callable building Roboflow's tracker, and a converter of our arrays to its input."""
    import supervision as sv
    import trackers

    cls = {
        "rf-sort": trackers.SORTTracker,
        "rf-bytetrack": trackers.ByteTrackTracker,
        "rf-ocsort": trackers.OCSORTTracker,
        "rf-botsort": trackers.BoTSORTTracker,
    }[name]

    def to_sv(d: np.ndarray):
        return sv.Detections(xyxy=d[:, :4].copy(), confidence=d[:, 4].copy(),
                             class_id=np.zeros(len(d), dtype=int))

    return cls, to_sv


def run_roboflow(name: str, seq: Sequence) -> tuple[np.ndarray, float]:
    cls, to_sv = roboflow_factory(name)
    tracker = cls(frame_rate=seq.frame_rate)
    inputs = [to_sv(d) for d in seq.frames]
    rows, elapsed = [], 0.0
    for index, det in enumerate(inputs, start=1):
        start = time.perf_counter()
        out = tracker.update(det)
        elapsed += time.perf_counter() - start
        keep = out.tracker_id >= 0
        if keep.any():
            xyxy = out.xyxy[keep]
            rows.append(np.column_stack([np.full(keep.sum(), index), out.tracker_id[keep],
                                         xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2],
                                         out.confidence[keep]]))
    return (np.concatenate(rows) if rows else np.empty((0, 7))), elapsed


def run(name: str, seq: Sequence) -> tuple[np.ndarray, float]:
    if name.startswith("rf-"):
        return run_roboflow(name, seq)
    return track_detections(create_tracker(name, frame_rate=seq.frame_rate), seq.frames)


def peak_memory_mb(name: str, seq: Sequence) -> float:
    tracemalloc.start()
    run(name, seq)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def evaluate(results_dir: Path, sequences: list[Sequence]) -> dict[str, float]:
    """Combined scores with the project's TrackEval-exact metrics (MOT17 semantics); ratios are
    fractions, as TrackEval returns them."""
    from keeptrack.eval import COMBINED, evaluate_mot_sequences

    return evaluate_mot_sequences(
        {s.name: s.gt for s in sequences},
        {s.name: results_dir / f"{s.name}.txt" for s in sequences},
        {s.name: s.length for s in sequences},
    )[COMBINED]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--trackers",
        default="sort,bytetrack,ocsort,botsort,rf-sort,rf-bytetrack,rf-ocsort,rf-botsort",
    )
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: temp)")
    args = parser.parse_args()
    sequences = mot17_sequences(val_half=True)
    out_root = args.out or Path(tempfile.mkdtemp(prefix="keeptrack-mot17-"))
    total_frames = sum(s.length for s in sequences)
    table = []
    for name in args.trackers.split(","):
        if name.startswith("rf-"):
            try:
                import trackers  # noqa: F401
            except ImportError:
                print(f"skipping {name}: pip install trackers==2.6.1")
                continue
        results_dir = out_root / name
        seconds = 0.0
        for seq in sequences:
            rows, elapsed = run(name, seq)
            seconds += elapsed
            write_mot_results(results_dir / f"{seq.name}.txt", bytetrack_output_filter(rows))
        memory = max(peak_memory_mb(name, s) for s in sequences[:2])
        metrics = evaluate(results_dir, sequences)
        table.append((name, metrics, total_frames / seconds, memory))
    print(f"\nMOT17 val half, {total_frames} frames; results in {out_root}\n")
    print("| tracker | HOTA | MOTA | IDF1 | IDSW | AssA | DetA | frames/s | peak MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, m, fps, mem in table:
        p = {k: 100 * m[k] for k in ("HOTA", "MOTA", "IDF1", "AssA", "DetA")}  # percent
        print(f"| {name} | {p['HOTA']:.1f} | {p['MOTA']:.1f} | {p['IDF1']:.1f} | {m['IDSW']:.0f} "
              f"| {p['AssA']:.1f} | {p['DetA']:.1f} | {fps:,.0f} | {mem:.2f} |")


if __name__ == "__main__":
    main()

"""Stop a stream, save the tracker, and resume it in another process with identical results.

``first`` tracks the first frames of a MOTChallenge sequence's detections and pickles the
tracker's parameters and ``state_dict()``; ``rest`` rebuilds the tracker from them, loads the
state and tracks the remaining frames. The two results files together equal one uninterrupted
run, row for row.

    python examples/resume_from_state.py first --stop-after 200 --state run.pkl --output a.txt
    python examples/resume_from_state.py rest --state run.pkl --output b.txt
"""

from __future__ import annotations

import argparse
import pickle

import numpy as np
from _paths import data_dir

from keeptrack.benchmark import track_detections
from keeptrack.io.mot import write_mot_results
from keeptrack.io.sequence import load_sequence
from keeptrack.trackers.registry import TRACKERS, create_tracker


def offset_frames(rows: np.ndarray, start: int) -> np.ndarray:
    """Results of frames ``1..`` renumbered as frames ``start + 1..``."""
    rows = rows.copy()
    rows[:, 0] += start
    return rows


def main(argv: list[str] | None = None) -> np.ndarray:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["first", "rest"])
    parser.add_argument("--sequence", default=str(data_dir() / "mot17-train" / "MOT17-09-FRCNN"))
    parser.add_argument(
        "--tracker", default="bytetrack", choices=sorted(set(TRACKERS) - {"deepsort"})
    )
    parser.add_argument("--stop-after", type=int, default=200, help="frames tracked by 'first'")
    parser.add_argument("--state", default="tracker.pkl")
    parser.add_argument("--output", required=True, help="MOTChallenge results of this step")
    args = parser.parse_args(argv)

    sequence = load_sequence(args.sequence, gt=False)
    frames = sequence.frames
    if args.step == "first":
        tracker = create_tracker(args.tracker, frame_rate=sequence.frame_rate)
        rows, _ = track_detections(tracker, frames[: args.stop_after])
        saved = {
            "tracker": args.tracker,
            "params": tracker.get_params(),
            "frames_done": args.stop_after,
            "state": tracker.state_dict(),
        }
        with open(args.state, "wb") as file:
            pickle.dump(saved, file)
    else:
        with open(args.state, "rb") as file:
            saved = pickle.load(file)
        tracker = create_tracker(saved["tracker"], **saved["params"])
        tracker.load_state_dict(saved["state"])
        done = saved["frames_done"]
        rows = offset_frames(track_detections(tracker, frames[done:])[0], done)
    write_mot_results(args.output, rows)
    print(f"{args.step}: {len(rows)} rows, ids {int(rows[:, 1].min())}..{int(rows[:, 1].max())}")
    return rows


if __name__ == "__main__":
    main()

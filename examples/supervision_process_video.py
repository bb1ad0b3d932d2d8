"""Track a video the way Roboflow's examples do: ``supervision.process_video`` with a callback.

The callback gets each frame, runs a detector, hands its ``supervision.Detections`` to a
keeptrack tracker and draws the ids. Any detector that returns Detections fits; here the
offline SSD-MobileNet (``pip install -e ".[detect]"``) or, with ``--detector motion``,
background subtraction without weights.

    python examples/supervision_process_video.py --max-frames 50 --target pets09.mp4
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
import supervision as sv
from _paths import pets09_video

from keeptrack.detectors import create_detector
from keeptrack.trackers.registry import TRACKERS, create_tracker

Detect = Callable[[np.ndarray], sv.Detections]


def make_callback(
    detect: Detect, tracker, seen: set[int]
) -> Callable[[np.ndarray, int], np.ndarray]:
    """The ``process_video`` callback: detect, track, annotate; ids go into ``seen``."""
    boxes = sv.BoxAnnotator(color_lookup=sv.ColorLookup.TRACK)
    labels = sv.LabelAnnotator(color_lookup=sv.ColorLookup.TRACK)

    def callback(frame: np.ndarray, index: int) -> np.ndarray:
        detections = tracker.update(detect(frame), frame=frame)
        seen.update(int(i) for i in detections.tracker_id)
        names = detections.data.get("class_name", [""] * len(detections))
        texts = [f"#{i} {name}" for i, name in zip(detections.tracker_id, names, strict=True)]
        annotated = boxes.annotate(frame.copy(), detections)
        return labels.annotate(annotated, detections, labels=texts)

    return callback


def video_arguments(description: str) -> argparse.ArgumentParser:
    """The options every video example shares (source, target, frames, tracker)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--source", default=str(pets09_video()), help="video file to track")
    parser.add_argument("--target", default="tracked.mp4", help="annotated video to write")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after this many")
    parser.add_argument("--fps", type=float, default=7.0, help="the source's real frame rate")
    parser.add_argument("--tracker", default="bytetrack", choices=sorted(TRACKERS))
    return parser


def track_video(args: argparse.Namespace, detect: Detect, **tracker_params) -> set[int]:
    """Run ``process_video`` over ``args.source`` and return the track ids seen."""
    tracker = create_tracker(args.tracker, frame_rate=args.fps, **tracker_params)
    seen: set[int] = set()
    sv.process_video(
        source_path=args.source,
        target_path=args.target,
        callback=make_callback(detect, tracker, seen),
        max_frames=args.max_frames,
    )
    print(f"{args.target}: {len(seen)} tracks ({args.tracker})")
    return seen


def main(argv: list[str] | None = None) -> set[int]:
    parser = video_arguments(__doc__.splitlines()[0])
    parser.add_argument("--detector", default="ssd-mobilenet", choices=["ssd-mobilenet", "motion"])
    args = parser.parse_args(argv)
    detector = create_detector(
        args.detector, classes=["person"] if args.detector != "motion" else None
    )
    # SSD-MobileNet's scores run lower than the YOLOX scores ByteTrack's defaults suit.
    params = {"high_conf_det_threshold": 0.4, "track_activation_threshold": 0.5}
    return track_video(args, detector.detect, **(params if args.tracker == "bytetrack" else {}))


if __name__ == "__main__":
    main()

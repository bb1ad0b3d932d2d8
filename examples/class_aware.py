"""Class-aware tracking: a driver gets out of a parked car while the detector misses the car,
and the car's identity must not pass to the driver.

With ``class_aware=True`` a detection can only continue a track of its own class (one
assignment, the class gate inside the cost). The stream is synthetic -- the true boxes,
jittered, with the car unseen for the frames the open door confuses the detector -- and the
script counts the tracks that were fed detections of more than one class, with and without
the gate.

    python examples/class_aware.py --tracker bytetrack
"""

from __future__ import annotations

import argparse

import numpy as np

from keeptrack.trackers.registry import TRACKERS, create_tracker

PERSON, CAR = 0, 2  # COCO ids, as detectors report them


def driver_gets_out(frames: int, seed: int) -> list[np.ndarray]:
    """Per frame ``(N, 6)`` rows ``[x1, y1, x2, y2, score, class]``."""
    rng = np.random.default_rng(seed)
    stream = []
    for t in range(frames):
        rows = []
        if not 30 <= t < 45:  # the car is missed while its door opens
            rows.append([300, 180, 430, 275, 0.9, CAR])
        if t >= 30:  # the driver appears beside the door and walks away
            x = 380 + 2.0 * (t - 30)
            rows.append([x, 185, x + 40, 275, 0.85, PERSON])
        detections = np.array(rows, dtype=float).reshape(-1, 6)
        detections[:, :4] += rng.normal(0, 1.0, (len(detections), 4))
        stream.append(detections)
    return stream


def mixed_tracks(tracker, stream: list[np.ndarray]) -> int:
    """Tracks that were given detections of more than one class."""
    classes: dict[int, set[int]] = {}
    for detections in stream:
        out = tracker.update(detections)  # [x1, y1, x2, y2, id, score, class, row]
        for row in out:
            given = int(detections[int(row[7]), 5])
            classes.setdefault(int(row[4]), set()).add(given)
    return sum(len(c) > 1 for c in classes.values())


def main(argv: list[str] | None = None) -> dict[bool, int]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--tracker", default="bytetrack", choices=sorted(set(TRACKERS) - {"deepsort"})
    )
    parser.add_argument("--frames", type=int, default=90)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    stream = driver_gets_out(args.frames, args.seed)
    mixed = {}
    for aware in (False, True):
        tracker = create_tracker(args.tracker, frame_rate=30, class_aware=aware)
        mixed[aware] = mixed_tracks(tracker, stream)
        print(f"{args.tracker} class_aware={aware}: {mixed[aware]} tracks mixing classes")
    return mixed


if __name__ == "__main__":
    main()

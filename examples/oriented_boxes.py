"""Oriented boxes: vehicles driving round a roundabout, seen from above, tracked as rotated
boxes ``[cx, cy, w, h, angle]`` (the ``(N, 7)`` rows of an Ultralytics OBB model's
``result.obb.data``).

The stream is synthetic (no OBB data set ships with the evaluation data): each vehicle's true
box, jittered like a detector's, with some boxes missed. The script reports how many
identities each vehicle got -- one each means no switch.

    python examples/oriented_boxes.py --tracker ocsort --frames 300
"""

from __future__ import annotations

import argparse

import numpy as np

from keeptrack.trackers.registry import TRACKERS, create_tracker


def roundabout(frames: int, vehicles: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per frame: ``(N, 7)`` detections and the vehicle index of each row."""
    rng = np.random.default_rng(seed)
    phase = np.linspace(0, 2 * np.pi, vehicles, endpoint=False)
    radius = rng.uniform(150, 220, vehicles)
    speed = 0.02  # radians per frame, all lanes
    stream = []
    for t in range(frames):
        angle = phase + speed * t
        cx, cy = 320 + radius * np.cos(angle), 320 + radius * np.sin(angle)
        heading = angle + np.pi / 2  # a vehicle points along its lane
        rows = np.column_stack(
            [
                cx + rng.normal(0, 1.0, vehicles),
                cy + rng.normal(0, 1.0, vehicles),
                np.full(vehicles, 46.0) + rng.normal(0, 1.0, vehicles),
                np.full(vehicles, 20.0) + rng.normal(0, 0.5, vehicles),
                np.angle(np.exp(1j * (heading + rng.normal(0, 0.03, vehicles)))),
                rng.uniform(0.6, 0.95, vehicles),
                np.full(vehicles, 2.0),  # COCO car
            ]
        )
        seen = rng.random(vehicles) > 0.1  # the detector misses one box in ten
        stream.append((rows[seen], np.flatnonzero(seen)))
    return stream


def main(argv: list[str] | None = None) -> dict[int, set[int]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracker", default="ocsort", choices=sorted(set(TRACKERS) - {"deepsort"}))
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--vehicles", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    tracker = create_tracker(args.tracker, frame_rate=30)
    ids: dict[int, set[int]] = {v: set() for v in range(args.vehicles)}
    for detections, vehicle in roundabout(args.frames, args.vehicles, args.seed):
        out = tracker.update(detections, box_format="xywhr")  # [cx, cy, w, h, angle, id, ...]
        for row in out:
            ids[int(vehicle[int(row[8])])].add(int(row[5]))
    for v, got in ids.items():
        print(f"vehicle {v}: ids {sorted(got)}")
    switches = sum(len(got) - 1 for got in ids.values() if got)
    print(f"{args.tracker}: {switches} identity switches over {args.frames} frames")
    return ids


if __name__ == "__main__":
    main()

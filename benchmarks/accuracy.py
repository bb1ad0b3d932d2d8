"""Accuracy benchmark: every keeptrack tracker next to its peers on MOT17 and DanceTrack.

Two data sets from ``shared/data`` (see its README), scored in one run with the project's
TrackEval-exact metrics:

- ``mot17``: the seven MOT17 train sequences with YOLOX-X detections, val half by default
  (``--split train`` scores the first halves, where changes are chosen before the val half
  confirms them), with ByteTrack's output filter, as the MOT17 protocol prescribes;
- ``dancetrack``: eight DanceTrack val sequences (20 frames/s, all frames, no filter).

Every tracker of the registry runs (new ones appear here without editing this file), except
trackers that cannot run on boxes alone (DeepSORT needs appearance): they are reported as
skipped. Next to each one run its peers' same algorithm where installed: Roboflow ``trackers``
2.6.1 (``rf-``; ``pip install keeptrack[bench]``), plus Roboflow's C-BIoU, and pyxtrackers
2026.3.3 (``pyx-``, optional). Peers run with their own defaults; pyxtrackers' OC-SORT has no
default detection threshold and gets the reference's 0.6. SORT has no use for weak boxes, so
every SORT sees only detections scoring at least 0.6 (for keeptrack through
``track_activation_threshold``).

A keeptrack name may carry a ``cmc`` setting after ``@`` and constructor arguments after ``:``
(``botsort@none``, ``bytetrack@file:promote_iou_threshold=none``), converted by the tracker's
signature as ``--tracker.<key>`` options are. ``--cmc file`` gives every keeptrack tracker
without its own ``@`` setting the camera motion in each sequence's ``gmc.txt`` (computed on the
real frames); ``--cmc none`` switches camera motion off. A tracker set to ``sparse_flow`` (Deep
OC-SORT's default), which needs frames these sequences lack, replays ``gmc.txt``: the same
estimate, computed on the frames.

frames/s is tracker-only (time inside ``update``, compilation excluded) over the scored frames,
one pass: on a shared machine compare rows of the same run, not runs.

    python benchmarks/accuracy.py [--datasets mot17,dancetrack] [--split val|train]
        [--trackers sort,bytetrack@file,rf-cbiou,...] [--peers rf,pyx|none] [--cmc file]
        [--per-sequence] [--out runs/accuracy]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import dataset_sequences  # noqa: E402

from keeptrack.benchmark import bytetrack_output_filter, track_detections  # noqa: E402
from keeptrack.eval import COMBINED, evaluate_mot_sequences  # noqa: E402
from keeptrack.io.mot import write_mot_results  # noqa: E402
from keeptrack.io.sequence import Sequence, resolve_cmc  # noqa: E402
from keeptrack.trackers.registry import (  # noqa: E402
    TRACKERS,
    create_tracker,
    parse_tracker_options,
    tracker_class,
    tracker_parameters,
)

#: Detection score floor of every SORT (the others split scores themselves).
SORT_SCORE_FLOOR = 0.6

#: The camera-motion method each sequence's ``gmc.txt`` holds (BoT-SORT's sparse optical flow,
#: computed on the real frames): a tracker set to it replays the file, as it would estimate the
#: same warps from the frames these sequences do not include.
WARPS_METHOD = "sparse_flow"

#: Metrics of the table (ratios printed as percentages).
COLUMNS = ("HOTA", "MOTA", "IDF1", "IDSW", "AssA", "DetA")


@dataclass(frozen=True)
class Peer:
    """Another library's tracker: the package it needs, how to build it for a sequence, how
    to turn our ``(N, 5)`` detections into its input, and its output into ``(M, 6)`` rows
    ``[x1, y1, x2, y2, id, score]``."""

    package: str
    build: Callable[[Sequence], Any]
    prepare: Callable[[np.ndarray], Any]
    read: Callable[[Any], np.ndarray]


def _roboflow(class_name: str) -> Peer:
    def build(seq: Sequence) -> Any:
        import trackers

        return getattr(trackers, class_name)(frame_rate=seq.frame_rate)

    def prepare(d: np.ndarray) -> Any:
        import supervision as sv

        return sv.Detections(
            xyxy=d[:, :4].copy(), confidence=d[:, 4].copy(), class_id=np.zeros(len(d), dtype=int)
        )

    def read(out: Any) -> np.ndarray:
        keep = out.tracker_id >= 0
        return np.column_stack([out.xyxy[keep], out.tracker_id[keep], out.confidence[keep]])

    return Peer("trackers", build, prepare, read)


def _pyx(build: Callable[[Sequence], Any]) -> Peer:
    def read(out: np.ndarray) -> np.ndarray:  # [x1, y1, x2, y2, id]; no score is reported
        return np.column_stack([out, np.ones(len(out))])

    return Peer("pyxtrackers", build, lambda d: np.ascontiguousarray(d, dtype=np.float64), read)


def _pyx_class(name: str) -> Any:
    import pyxtrackers

    return getattr(pyxtrackers, name)


PEERS: dict[str, Peer] = {
    "rf-sort": _roboflow("SORTTracker"),
    "rf-bytetrack": _roboflow("ByteTrackTracker"),
    "rf-ocsort": _roboflow("OCSORTTracker"),
    "rf-botsort": _roboflow("BoTSORTTracker"),
    "rf-cbiou": _roboflow("CBIoUTracker"),
    "pyx-sort": _pyx(lambda seq: _pyx_class("Sort")()),
    "pyx-bytetrack": _pyx(lambda seq: _pyx_class("BYTETracker")(frame_rate=int(seq.frame_rate))),
    "pyx-ocsort": _pyx(lambda seq: _pyx_class("OCSort")(det_thresh=0.6)),
}

#: Peer prefixes selectable with ``--peers``.
PEER_LIBRARIES = {"rf": "rf-", "pyx": "pyx-"}


def parse_tracker_spec(spec: str, cmc: str | None = None) -> tuple[str, dict]:
    """``name[@cmc][:key=value[:key=value]]`` -> registry name and constructor arguments,
    converted by the tracker's signature as ``--tracker.<key>`` options are; ``cmc`` applies
    when the spec sets none and the tracker takes one."""
    head, *assignments = spec.split(":")
    name, _, own_cmc = head.partition("@")
    options = [f"--tracker.{assignment}" for assignment in assignments]
    cls = tracker_class(name)
    chosen = own_cmc or (cmc if "cmc" in tracker_parameters(cls) else None)
    if chosen:
        options.append(f"--tracker.cmc={chosen}")
    return name, parse_tracker_options(cls, options)


def family(spec: str) -> str:
    """The algorithm a spec runs: ``rf-bytetrack`` and ``bytetrack@file:x=1`` are ``bytetrack``."""
    return spec.split("-", 1)[-1] if spec in PEERS else spec.split(":")[0].split("@")[0]


def run(spec: str, seq: Sequence, cmc: str | None = None) -> tuple[np.ndarray, float]:
    """Track ``seq`` with a keeptrack spec or a peer: MOTChallenge rows and tracker seconds."""
    if spec in PEERS:
        if family(spec) == "sort":
            seq = replace(seq, frames=[d[d[:, 4] >= SORT_SCORE_FLOOR] for d in seq.frames])
        return run_peer(PEERS[spec], seq)
    name, params = parse_tracker_spec(spec, cmc)
    if name == "sort":
        params.setdefault("track_activation_threshold", SORT_SCORE_FLOOR)
    options = tracker_parameters(tracker_class(name))
    if "cmc" in options and params.get("cmc", options["cmc"].default) == WARPS_METHOD:
        params["cmc"] = "file"  # these sequences have no frames, but their gmc.txt
    params = resolve_cmc(params, seq)
    if "frame_rate" in tracker_parameters(tracker_class(name)):
        params.setdefault("frame_rate", seq.frame_rate)
    return track_detections(create_tracker(name, **params), seq.frames)


def run_peer(peer: Peer, seq: Sequence) -> tuple[np.ndarray, float]:
    """:func:`keeptrack.benchmark.track_detections` for a peer (input converted untimed)."""
    tracker = peer.build(seq)
    inputs = [peer.prepare(d) for d in seq.frames]
    rows, elapsed = [], 0.0
    for index, det in enumerate(inputs, start=1):
        start = time.perf_counter()
        out = tracker.update(det)
        elapsed += time.perf_counter() - start
        boxes = peer.read(out)
        if len(boxes):
            tlwh = np.column_stack([boxes[:, :2], boxes[:, 2:4] - boxes[:, :2]])
            rows.append(
                np.column_stack([np.full(len(boxes), index), boxes[:, 4], tlwh, boxes[:, 5]])
            )
    return (np.concatenate(rows) if rows else np.empty((0, 7))), elapsed


def unavailable(spec: str, probe: np.ndarray) -> str | None:
    """Why ``spec`` cannot run here (missing package, needs appearance), or ``None``."""
    if spec in PEERS:
        try:
            __import__(PEERS[spec].package)
        except ImportError:
            return f"pip install {PEERS[spec].package}"
        return None
    name, params = parse_tracker_spec(spec)
    if params.get("cmc") == "file":
        params.pop("cmc")  # resolved per sequence; the probe has none
    try:  # a throwaway tracker: compiles its step, and shows whether boxes alone suffice
        create_tracker(name, **params).update(probe)
    except ValueError as error:
        return f"cannot run on boxes alone ({error})"
    return None


def default_trackers(peers: list[str]) -> list[str]:
    """Every registry tracker, each followed by the selected peers' same algorithm, then the
    peers' algorithms keeptrack does not have (C-BIoU)."""
    prefixes = [PEER_LIBRARIES[p] for p in peers]
    chosen = [p for p in PEERS if any(p.startswith(x) for x in prefixes)]
    specs = []
    for name in TRACKERS:
        specs.append(name)
        specs += [p for p in chosen if family(p) == name]
    return specs + [p for p in chosen if family(p) not in TRACKERS]


def evaluate(
    spec: str, sequences: list[Sequence], mot17: bool, cmc: str | None, out: Path
) -> tuple[dict, float]:
    """Scores per sequence and combined, and tracker-only frames/s over the sequences."""
    results, seconds = {}, 0.0
    for seq in sequences:
        rows, elapsed = run(spec, seq, cmc)
        seconds += elapsed
        results[seq.name] = bytetrack_output_filter(rows) if mot17 else rows
        write_mot_results(out / f"{seq.name}.txt", results[seq.name])
    scores = evaluate_mot_sequences(
        {s.name: s.gt for s in sequences}, results, {s.name: s.length for s in sequences}
    )
    return scores, sum(s.length for s in sequences) / max(seconds, 1e-9)


def print_table(title: str, table: list[tuple[str, dict, float]]) -> None:
    print(f"\n{title}\n")
    print("| tracker | " + " | ".join(COLUMNS) + " | frames/s |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for spec, scores, fps in table:
        m = scores[COMBINED]
        cells = [f"{m[c]:.0f}" if c == "IDSW" else f"{100 * m[c]:.1f}" for c in COLUMNS]
        print(f"| {spec} | " + " | ".join(cells) + f" | {fps:,.0f} |")


def print_per_sequence(table: list[tuple[str, dict, float]], names: list[str]) -> None:
    """HOTA / IDF1 / IDSW of every row on each sequence, one table per metric."""
    short = [n.removeprefix("MOT17-").removeprefix("dancetrack").split("-")[0] for n in names]
    for metric, scale, digits in (("HOTA", 100, 1), ("IDF1", 100, 1), ("IDSW", 1, 0)):
        print(f"\n{metric} per sequence\n")
        print("| tracker | " + " | ".join(short) + " | combined |")
        print("|---" * (len(names) + 2) + "|")
        for spec, scores, *_ in table:
            cells = [f"{scale * scores[n][metric]:.{digits}f}" for n in names + [COMBINED]]
            print(f"| {spec} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="mot17,dancetrack", help="mot17, dancetrack")
    parser.add_argument("--split", choices=("val", "train"), default="val", help="MOT17 half")
    parser.add_argument("--trackers", default=None, help="default: the registry and peers")
    parser.add_argument("--peers", default="rf,pyx", help="peer libraries (rf, pyx) or none")
    parser.add_argument("--cmc", default=None, help="cmc of keeptrack trackers, e.g. file")
    parser.add_argument("--per-sequence", action="store_true", help="HOTA/IDF1/IDSW per sequence")
    parser.add_argument("--out", type=Path, default=None, help="results folder (default: temp)")
    args = parser.parse_args()
    peers = [] if args.peers == "none" else args.peers.split(",")
    specs = args.trackers.split(",") if args.trackers else default_trackers(peers)
    out_root = args.out or Path(tempfile.mkdtemp(prefix="keeptrack-accuracy-"))
    for dataset in args.datasets.split(","):
        split = f"{args.split}-half" if dataset == "mot17" else "all"
        sequences = dataset_sequences(dataset, split)
        probe = next(f for s in sequences for f in s.frames if len(f))
        table = []
        for spec in specs:
            reason = unavailable(spec, probe)
            if reason:
                print(f"skipping {spec}: {reason}")
                continue
            folder = out_root / dataset / spec.replace(":", "_").replace("@", "_")
            scores, fps = evaluate(spec, sequences, dataset == "mot17", args.cmc, folder)
            table.append((spec, scores, fps))
        frames = sum(s.length for s in sequences)
        cmc = f", keeptrack cmc={args.cmc}" if args.cmc else ""
        print_table(f"{dataset} {split} ({len(sequences)} sequences, {frames} frames{cmc})", table)
        if args.per_sequence:
            print_per_sequence(table, [s.name for s in sequences])
    print(f"\nresults in {out_root}")


if __name__ == "__main__":
    main()

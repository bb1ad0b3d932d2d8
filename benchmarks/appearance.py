"""Does appearance help on real pixels? SORT, ByteTrack, DeepSORT, Deep OC-SORT, BoostTrack (MOT15).

Runs on the MOT15 sequences with pixels in ``../shared/data/mot15-train`` (ETH-Sunnyday,
TUD-Stadtmitte and TUD-Campus JPEG frames, and PETS09-S2L1 from its video) with the official
public ACF detections (``det/det.txt``) and scores HOTA / IDF1 / IDSW against the GT with
``keeptrack.eval`` (``benchmark="plain"``: flag-0 GT rows ignored). Appearance comes from the
offline ImageNet MobileNetV2 (``ReIDModel.mobilenetv2``, run by ONNX Runtime); each frame's
detections are embedded once and the same embeddings feed both appearance trackers.

ACF scores are unbounded (about -1 to 140); each sequence's scores are divided by that
sequence's largest score so the trackers' [0, 1] thresholds apply.

It also measures the embedding cost per crop of the same network in ONNX Runtime and in torch
eager mode, on the same crops, batch 32, with the same number of threads.

    python benchmarks/appearance.py [--threads 2] [--cache /tmp/emb] [--markdown]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FramedSequence as Sequence  # noqa: E402
from _common import data_dir  # noqa: E402

from keeptrack import (  # noqa: E402
    BoostTrackTracker,
    ByteTrackTracker,
    DeepOCSORTTracker,
    DeepSORTTracker,
    SORTTracker,
)
from keeptrack.appearance import ReIDModel  # noqa: E402
from keeptrack.appearance.features import detection_features  # noqa: E402
from keeptrack.eval import COMBINED, evaluate_mot_sequences  # noqa: E402
from keeptrack.geometry import xyxy_to_tlwh  # noqa: E402
from keeptrack.io.sequence import load_sequence as load_mot_sequence  # noqa: E402

SEQUENCES = ("ETH-Sunnyday", "TUD-Stadtmitte", "TUD-Campus", "PETS09-S2L1")


def load_sequence(folder: Path) -> Sequence:
    """The sequence from the shared loader, scores scaled by their maximum."""
    seq = load_mot_sequence(folder).with_unit_scores()
    return Sequence(seq.name, folder, seq.frame_rate, seq.frames, seq.gt)


def embed_sequence(model: ReIDModel, seq: Sequence, cache: Path | None) -> list[np.ndarray]:
    """MobileNetV2 embeddings of every detection, frame by frame (cached as ``.npz``)."""
    path = None if cache is None else cache / f"{seq.name}.npz"
    if path is not None and path.is_file():
        stored = np.load(path)
        return [stored[str(k)] for k in range(seq.length)]
    out = [
        detection_features(model, frame, dets[:, :4])
        for frame, dets in zip(seq.frames(), seq.detections, strict=True)
    ]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, **{str(k): e for k, e in enumerate(out)})
    return out


def run_tracker(tracker, seq: Sequence, embeddings: list[np.ndarray] | None) -> np.ndarray:
    """MOT result rows ``[frame, id, left, top, width, height, score]`` of one run."""
    rows = []
    for k, dets in enumerate(seq.detections):
        if embeddings is None:
            out = tracker.update(dets)
        else:
            out = tracker.update(dets, embeddings=embeddings[k])
        tlwh = xyxy_to_tlwh(out[:, :4])
        rows.append(np.column_stack([np.full(len(out), k + 1), out[:, 4], tlwh, out[:, 5]]))
    return np.concatenate(rows)


def trackers(model: ReIDModel) -> dict[str, tuple[Callable[[float], object], bool]]:
    """Name -> (factory taking the frame rate, takes embeddings).

    "DeepSORT (motion only)" is the same cascade with the appearance gate open and weight 0: the
    cost is the gate-normalised Mahalanobis distance, i.e. DeepSORT without appearance.
    "ByteTrack+MobileNetV2 (no re-ID)" keeps only the appearance fused into the first
    association, without re-identifying tracks lost beyond the buffer.
    """
    return {
        "SORT": (lambda fps: SORTTracker(frame_rate=fps), False),
        "ByteTrack": (lambda fps: ByteTrackTracker(**BYTETRACK, frame_rate=fps), False),
        "ByteTrack+MobileNetV2": (
            lambda fps: ByteTrackTracker(**BYTETRACK, frame_rate=fps, feature_extractor=model),
            True,
        ),
        "ByteTrack+MobileNetV2 (no re-ID)": (
            lambda fps: ByteTrackTracker(
                **BYTETRACK, frame_rate=fps, feature_extractor=model, reid_threshold=0.0
            ),
            True,
        ),
        "DeepSORT (motion only)": (
            lambda fps: DeepSORTTracker(
                frame_rate=fps, appearance_weight=0.0, appearance_threshold=2.0
            ),
            True,
        ),
        "DeepSORT+MobileNetV2": (
            lambda fps: DeepSORTTracker(reid_model=model, frame_rate=fps),
            True,
        ),
        "Deep OC-SORT (motion only)": (
            lambda fps: DeepOCSORTTracker(**DEEPOCSORT, frame_rate=fps),
            False,
        ),
        "Deep OC-SORT+MobileNetV2": (
            lambda fps: DeepOCSORTTracker(**DEEPOCSORT, frame_rate=fps, reid_model=model),
            True,
        ),
        "BoostTrack (motion only)": (
            lambda fps: BoostTrackTracker(**BOOSTTRACK, frame_rate=fps),
            False,
        ),
        "BoostTrack+MobileNetV2": (
            lambda fps: BoostTrackTracker(**BOOSTTRACK, frame_rate=fps, reid_model=model),
            True,
        ),
    }


#: ACF scores scaled by their maximum are low (median about 0.3-0.5), so ByteTrack's high/low
#: split moves down accordingly; every other setting is the tracker's default.
BYTETRACK = {
    "high_conf_det_threshold": 0.3,
    "track_activation_threshold": 0.35,
    "low_conf_det_threshold": 0.05,
}


def crop_cost(threads: int, crops: int = 256, batch: int = 32) -> dict[str, float]:
    """Milliseconds per crop of MobileNetV2 (224x224) in ONNX Runtime and torch eager."""
    import torch

    torch.set_num_threads(threads)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((crops, 3, 224, 224)).astype(np.float32)
    out = {}
    for name, model in (
        ("onnxruntime", ReIDModel.mobilenetv2("onnx", threads=threads)),
        ("torch eager", ReIDModel.mobilenetv2("torch", device="cpu")),
    ):
        model.backend(x[:batch])  # warm-up
        start = time.perf_counter()
        for i in range(0, crops, batch):
            model.backend(x[i : i + batch])
        out[name] = (time.perf_counter() - start) / crops * 1000
    return out


#: The same lowered split for Deep OC-SORT and BoostTrack (one threshold each: the boxes that
#: are associated first and may start tracks). No frames reach the trackers here (embeddings
#: are given), so Deep OC-SORT's frame-based camera motion is off in both of its rows.
DEEPOCSORT = {"high_conf_det_threshold": 0.3}
BOOSTTRACK = {"track_activation_threshold": 0.3, "low_conf_det_threshold": 0.05}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for inference")
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached embeddings")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args()

    root = data_dir() / "mot15-train"
    sequences = [load_sequence(root / name) for name in SEQUENCES]
    model = ReIDModel.mobilenetv2("onnx", threads=args.threads)
    start = time.perf_counter()
    embeddings = {seq.name: embed_sequence(model, seq, args.cache) for seq in sequences}
    crops = sum(len(e) for seq in sequences for e in embeddings[seq.name])
    print(f"embedded {crops} crops in {time.perf_counter() - start:.1f} s (incl. decoding)")

    gt = {seq.name: seq.gt for seq in sequences}
    lengths = {seq.name: seq.length for seq in sequences}
    table = []
    for name, (factory, appearance) in trackers(model).items():
        results = {
            seq.name: run_tracker(
                factory(seq.frame_rate), seq, embeddings[seq.name] if appearance else None
            )
            for seq in sequences
        }
        metrics = evaluate_mot_sequences(gt, results, lengths, benchmark="plain")
        for seq_name in [*SEQUENCES, COMBINED]:
            m = metrics[seq_name]
            table.append((name, seq_name, 100 * m["HOTA"], 100 * m["IDF1"], int(m["IDSW"])))

    cost = crop_cost(args.threads)
    if args.markdown:
        print("| tracker | sequence | HOTA | IDF1 | IDSW |\n|---|---|---|---|---|")
        for row in table:
            print("| {} | {} | {:.1f} | {:.1f} | {} |".format(*row))
        print("\n| MobileNetV2 224x224, batch 32 | ms / crop |\n|---|---|")
        for name, ms in cost.items():
            print(f"| {name} ({args.threads} threads) | {ms:.2f} |")
    else:
        print(f"{'tracker':34s} {'sequence':16s} {'HOTA':>6s} {'IDF1':>6s} {'IDSW':>5s}")
        for row in table:
            print("{:34s} {:16s} {:6.1f} {:6.1f} {:5d}".format(*row))
        for name, ms in cost.items():
            print(f"{name:12s} {ms:7.2f} ms / crop ({args.threads} threads)")
        print(f"ONNX Runtime speed-up: {cost['torch eager'] / cost['onnxruntime']:.1f}x")


if __name__ == "__main__":
    main()

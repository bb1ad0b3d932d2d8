"""Does self-supervised adaptation make appearance pay? Issue 13's targets, measured.

The MOT15 sequences with pixels (TUD-Stadtmitte, ETH-Sunnyday, TUD-Campus JPEG frames, and
PETS09-S2L1 decoded from ``video/vtest.avi``), the SORT-paper FRCNN detections
(``det/det_frcnn_sort.txt``) with score >= 0.5, scored by ``keeptrack.eval``
(``benchmark="plain"``). Every detection is embedded once by the offline ImageNet MobileNetV2
(ONNX Runtime); then, per video and without labels:

1. pass one: SORT (motion only) runs on the detections and yields tracklets;
2. a head is trained on those tracklets (``keeptrack.appearance.adapt.fit_head``);
3. pass two: each appearance tracker runs on the adapted embeddings of the same detections.

Trackers: SORT; DeepSORT as ``deep_sort_realtime`` runs it (``compat.deep_sort_realtime.DeepSort``
with its defaults, ``embedder=None`` + ``embeds=``; confirmed tracks matched this frame are
reported, with their detection box); ByteTrack and BoT-SORT (defaults) motion-only, with
MobileNetV2 and with the adapted features. Adaptation time is reported per 1,000 frames (pass
one + training, on top of the embedding time), and how well each feature set separates the GT
people (an AUC over detection pairs; the GT is used for this score only).

With ``--seeds 0,1,2,...`` the adaptation is repeated with each training seed (batch sampling
and the head's first projection) and the combined rows of the adapted trackers are printed per
seed, with their mean and range: one switch decided differently early in a video changes many
later ones, so one seed's count says little on its own.

    python benchmarks/adapt.py [--threads 2] [--cache /tmp/emb] [--markdown] [--seeds 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FramedSequence as Sequence  # noqa: E402
from _common import data_dir, framed_sequence  # noqa: E402

from keeptrack import BoTSORTTracker, ByteTrackTracker, SORTTracker  # noqa: E402
from keeptrack.appearance import ReIDModel  # noqa: E402
from keeptrack.appearance.adapt import (  # noqa: E402
    AdaptedModel,
    AppearanceHead,
    fit_head,
    motion_tracklets,
)
from keeptrack.appearance.features import detection_features  # noqa: E402
from keeptrack.compat.deep_sort_realtime import DeepSort  # noqa: E402
from keeptrack.eval import COMBINED, evaluate_mot_sequences  # noqa: E402
from keeptrack.geometry import box_iou, xyxy_to_tlwh  # noqa: E402

SEQUENCES = ("TUD-Stadtmitte", "ETH-Sunnyday", "TUD-Campus", "PETS09-S2L1")
MIN_SCORE = 0.5


def load_sequence(folder: Path) -> Sequence:
    """SORT-paper FRCNN detections scoring at least :data:`MIN_SCORE`, with the frames."""
    seq = framed_sequence(folder, det_name="det_frcnn_sort.txt")
    detections = [d[d[:, 4] >= MIN_SCORE] for d in seq.detections]
    return Sequence(seq.name, folder, seq.frame_rate, detections, seq.gt)


def base_features(model: ReIDModel, seq: Sequence, cache: Path | None) -> list[np.ndarray]:
    """MobileNetV2 features of every detection (cached as ``.npz``)."""
    path = None if cache is None else cache / f"{seq.name}-frcnn50.npz"
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


def adapt(seq: Sequence, features: list[np.ndarray], seed: int = 0) -> tuple[AppearanceHead, float]:
    """The head learnt on this video's SORT tracklets, and the seconds pass one + training took."""
    start = time.perf_counter()
    tracklets = motion_tracklets(SORTTracker(frame_rate=seq.frame_rate), seq.detections)
    head = fit_head(features, tracklets, seed=seed)
    return head, time.perf_counter() - start


def identity_auc(seq: Sequence, features: list[np.ndarray], gap: int = 5) -> float:
    """How well features separate the GT people: the probability that a pair of detections of
    different people is farther apart (cosine) than a pair of one person, over pairs more than
    ``gap`` frames apart (detections matched to GT at IoU > 0.5)."""
    rows, ids, times = [], [], []
    for k, (f, dets) in enumerate(zip(features, seq.detections, strict=True)):
        g = seq.gt[(seq.gt[:, 0] == k + 1) & (seq.gt[:, 6] != 0)]
        if not len(g) or not len(dets):
            continue
        iou = box_iou(dets[:, :4], np.column_stack([g[:, 2:4], g[:, 2:4] + g[:, 4:6]]))
        hit = iou.max(axis=1) > 0.5
        rows.append(f[hit])
        ids.append(g[iou.argmax(axis=1)[hit], 1])
        times.append(np.full(hit.sum(), k))
    f, i, t = np.concatenate(rows), np.concatenate(ids), np.concatenate(times)
    pick = np.random.default_rng(0).integers(len(f), size=(2, 20000))
    pick = pick[:, np.abs(t[pick[0]] - t[pick[1]]) > gap]
    d = 1 - np.sum(f[pick[0]] * f[pick[1]], axis=1)
    same = i[pick[0]] == i[pick[1]]
    return float(np.mean(d[~same][None, :] > d[same][:, None]))


def run_keeptrack(tracker, seq: Sequence, embeddings: list[np.ndarray] | None) -> np.ndarray:
    rows = []
    for k, dets in enumerate(seq.detections):
        out = (
            tracker.update(dets)
            if embeddings is None
            else tracker.update(dets, embeddings=embeddings[k])
        )
        tlwh = xyxy_to_tlwh(out[:, :4])
        rows.append(np.column_stack([np.full(len(out), k + 1), out[:, 4], tlwh, out[:, 5]]))
    return np.concatenate(rows)


def run_dsr(seq: Sequence, embeddings: list[np.ndarray]) -> np.ndarray:
    """deep_sort_realtime's defaults; confirmed tracks matched this frame, detection boxes."""
    tracker = DeepSort(embedder=None)
    rows = []
    for k, dets in enumerate(seq.detections):
        raw = [([d[0], d[1], d[2] - d[0], d[3] - d[1]], d[4], 0) for d in dets]
        for track in tracker.update_tracks(raw, embeds=embeddings[k]):
            if track.is_confirmed() and track.time_since_update == 0:
                box = track.to_ltwh(orig=True)
                rows.append([k + 1, int(track.track_id), *box, track.get_det_conf()])
    return np.array(rows, dtype=np.float64)


@dataclass
class Appearance:
    """One video's appearance: the model (trackers need its ``dim``) and every detection's
    features from it."""

    model: object
    features: list[np.ndarray]


#: ByteTrack's appearance settings when the features can be trusted (chosen on these sequences,
#: so not a held-out result): a wider appearance gate in the first association (cosine / 2 of
#: 0.15, default 0.05), appearance allowed down to IoU 0.2 (default 0.5), long-term re-ID up to
#: 0.2 (default 0.09).
TRUSTING = {"appearance_threshold": 0.15, "proximity_iou_threshold": 0.2, "reid_threshold": 0.2}


def keeptrack_runs() -> dict[str, Callable]:
    """Name -> ``run(seq, appearance or None)`` for the keeptrack trackers."""
    runs: dict[str, Callable] = {
        "SORT": lambda s, a: run_keeptrack(SORTTracker(frame_rate=s.frame_rate), s, None)
    }
    for name, cls, arg in (
        ("ByteTrack", ByteTrackTracker, "feature_extractor"),
        ("BoT-SORT", BoTSORTTracker, "reid_model"),
    ):
        runs[name] = lambda s, a, c=cls: run_keeptrack(c(frame_rate=s.frame_rate), s, None)
        runs[name + " +"] = lambda s, a, c=cls, k=arg: run_keeptrack(
            c(frame_rate=s.frame_rate, **{k: a.model}), s, a.features
        )
    runs["ByteTrack (trusting appearance) +"] = lambda s, a: run_keeptrack(
        ByteTrackTracker(frame_rate=s.frame_rate, feature_extractor=a.model, **TRUSTING),
        s,
        a.features,
    )
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for inference")
    parser.add_argument("--cache", type=Path, default=None, help="folder for cached embeddings")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument(
        "--seeds", default="0", help="training seeds, comma-separated; the tables use the first"
    )
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]

    root = data_dir() / "mot15-train"
    sequences = [load_sequence(root / name) for name in SEQUENCES]
    model = ReIDModel.mobilenetv2("onnx", threads=args.threads)
    start = time.perf_counter()
    base = {s.name: base_features(model, s, args.cache) for s in sequences}
    print(f"base features in {time.perf_counter() - start:.1f} s (cached or embedded)")
    SORTTracker().update(sequences[0].detections[0])  # compile the SORT step before timing
    import torch  # noqa: F401  (imported once, before timing)

    adapted, seconds = adapted_appearance(model, sequences, base, seeds[0])
    base = {name: Appearance(model, features) for name, features in base.items()}
    frames = sum(seq.length for seq in sequences)
    per_1000 = sum(seconds.values()) / frames * 1000
    gt = {seq.name: seq.gt for seq in sequences}
    lengths = {seq.name: seq.length for seq in sequences}
    runs = {}
    for name, run in keeptrack_runs().items():
        if not name.endswith("+"):
            runs[name] = {seq.name: run(seq, None) for seq in sequences}
            continue
        for label, source in (("MobileNetV2", base), ("adapted", adapted)):
            runs[f"{name} {label}"] = {seq.name: run(seq, source[seq.name]) for seq in sequences}
    for label, source in (("MobileNetV2", base), ("adapted", adapted)):
        runs[f"DeepSORT (dsr defaults) + {label}"] = {
            seq.name: run_dsr(seq, source[seq.name].features) for seq in sequences
        }
    table = []
    for name, results in runs.items():
        metrics = evaluate_mot_sequences(gt, results, lengths, benchmark="plain")
        for seq_name in [*SEQUENCES, COMBINED]:
            m = metrics[seq_name]
            table.append((name, seq_name, 100 * m["HOTA"], 100 * m["IDF1"], int(m["IDSW"])))
    if args.markdown:
        print("| tracker | sequence | HOTA | IDF1 | IDSW |\n|---|---|---|---|---|")
        for row in table:
            print("| {} | {} | {:.1f} | {:.1f} | {} |".format(*row))
    else:
        print(f"{'tracker':40s} {'sequence':16s} {'HOTA':>6s} {'IDF1':>6s} {'IDSW':>5s}")
        for row in table:
            print("{:40s} {:16s} {:6.1f} {:6.1f} {:5d}".format(*row))
    print("\n| sequence | identity AUC, MobileNetV2 | adapted |\n|---|---|---|")
    for seq in sequences:
        before = identity_auc(seq, base[seq.name].features)
        after = identity_auc(seq, adapted[seq.name].features)
        print(f"| {seq.name} | {before:.3f} | {after:.3f} |")
    detail = ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
    print(f"adaptation (pass one + training): {per_1000:.1f} s per 1000 frames ({detail})")
    if len(seeds) > 1:
        features = {name: appearance.features for name, appearance in base.items()}
        print_seed_spread(model, sequences, features, seeds, runs)


def adapted_appearance(
    model: ReIDModel, sequences: list[Sequence], base: dict[str, list[np.ndarray]], seed: int
) -> tuple[dict[str, Appearance], dict[str, float]]:
    """Per video: the adapted appearance trained with ``seed``, and the adaptation's seconds."""
    adapted, seconds = {}, {}
    for seq in sequences:
        head, seconds[seq.name] = adapt(seq, base[seq.name], seed)
        features = [
            head(f) if len(f) else np.empty((0, head.dim), np.float32) for f in base[seq.name]
        ]
        adapted[seq.name] = Appearance(AdaptedModel(model, head), features)
    return adapted, seconds


def print_seed_spread(
    model: ReIDModel,
    sequences: list[Sequence],
    base: dict[str, list[np.ndarray]],
    seeds: list[int],
    first_runs: dict[str, dict[str, np.ndarray]],
) -> None:
    """Combined IDF1 / IDSW of every adapted tracker for each training seed, mean and range.

    ``first_runs`` are the main table's results, whose adapted rows are the first seed's: that
    seed is not trained and tracked again."""
    gt = {seq.name: seq.gt for seq in sequences}
    lengths = {seq.name: seq.length for seq in sequences}
    runs = {name: run for name, run in keeptrack_runs().items() if name.endswith("+")}
    names = [f"{name} adapted" for name in runs] + ["DeepSORT (dsr defaults) + adapted"]
    scores: dict[str, list[tuple[float, int]]] = {}
    for seed in seeds:
        if seed == seeds[0]:
            results = {name: first_runs[name] for name in names}
        else:
            adapted, _ = adapted_appearance(model, sequences, base, seed)
            results = {
                f"{name} adapted": {s.name: run(s, adapted[s.name]) for s in sequences}
                for name, run in runs.items()
            }
            results["DeepSORT (dsr defaults) + adapted"] = {
                s.name: run_dsr(s, adapted[s.name].features) for s in sequences
            }
        for name, result in results.items():
            m = evaluate_mot_sequences(gt, result, lengths, benchmark="plain")[COMBINED]
            scores.setdefault(name, []).append((100 * m["IDF1"], int(m["IDSW"])))
    print(f"\nCombined IDF1 / IDSW per training seed ({', '.join(map(str, seeds))}):\n")
    print("| tracker | " + " | ".join(f"seed {s}" for s in seeds) + " | mean | range |")
    print("|---|" + "---|" * (len(seeds) + 2))
    for name, values in scores.items():
        idf1, idsw = np.array([v[0] for v in values]), np.array([v[1] for v in values])
        cells = " | ".join(f"{a:.1f} / {b}" for a, b in values)
        spread = f"{idf1.min():.1f}-{idf1.max():.1f} / {idsw.min()}-{idsw.max()}"
        print(f"| {name} | {cells} | {idf1.mean():.1f} / {idsw.mean():.1f} | {spread} |")


if __name__ == "__main__":
    main()

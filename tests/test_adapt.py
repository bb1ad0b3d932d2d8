"""Self-supervised adaptation on real pixels: TUD-Campus, FRCNN detections (score >= 0.5).

The floor: trained on the video's own SORT tracklets (no labels), the adapted MobileNetV2
features separate the GT identities far better than the base features, and DeepSORT as
deep_sort_realtime runs it (its defaults) scores a higher IDF1 with them than SORT.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("torch")

from keeptrack import ReIDModel, SORTTracker  # noqa: E402
from keeptrack.appearance.adapt import (  # noqa: E402
    AdaptedModel,
    AppearanceHead,
    fit_head,
    motion_tracklets,
)
from keeptrack.appearance.features import detection_features  # noqa: E402
from keeptrack.compat.deep_sort_realtime import DeepSort  # noqa: E402
from keeptrack.eval import evaluate_mot_sequences  # noqa: E402
from keeptrack.geometry import box_iou, xyxy_to_tlwh  # noqa: E402
from keeptrack.io.mot import detections_by_frame, read_mot_file, read_seqinfo  # noqa: E402
from keeptrack.io.sources import open_source  # noqa: E402


@pytest.fixture(scope="module")
def campus(mot15_dir):
    folder = mot15_dir / "TUD-Campus"
    info = read_seqinfo(folder)
    det = read_mot_file(folder / "det" / "det_frcnn_sort.txt")
    detections = detections_by_frame(det[det[:, 6] >= 0.5], info.length)
    model = ReIDModel.mobilenetv2("onnx", threads=2)
    with open_source(folder) as source:
        features = [
            detection_features(model, frame, dets[:, :4])
            for frame, dets in zip(source, detections, strict=True)
        ]
    gt = read_mot_file(folder / "gt" / "gt.txt")
    return info, detections, features, gt, model, folder


def identity_auc(features, detections, gt) -> float:
    """Probability that two detections of different GT people are farther apart than two of
    the same person (detections matched to GT at IoU > 0.5, pairs > 5 frames apart)."""
    rows, ids, times = [], [], []
    for k, (f, dets) in enumerate(zip(features, detections, strict=True)):
        g = gt[gt[:, 0] == k + 1]
        if not len(g) or not len(dets):
            continue
        iou = box_iou(dets[:, :4], np.column_stack([g[:, 2:4], g[:, 2:4] + g[:, 4:6]]))
        hit = iou.max(axis=1) > 0.5
        rows.append(f[hit])
        ids.append(g[iou.argmax(axis=1)[hit], 1])
        times.append(np.full(hit.sum(), k))
    f, i, t = np.concatenate(rows), np.concatenate(ids), np.concatenate(times)
    d = 1 - f @ f.T
    apart = np.abs(t[:, None] - t[None]) > 5
    same, other = d[apart & (i[:, None] == i[None])], d[apart & (i[:, None] != i[None])]
    return float(np.mean(other[None, :] > same[:, None]))


def idf1(rows: np.ndarray, gt: np.ndarray, length: int) -> float:
    return evaluate_mot_sequences({"s": gt}, {"s": rows}, {"s": length}, benchmark="plain")["s"][
        "IDF1"
    ]


def dsr_idf1(detections, embeddings, gt, length) -> float:
    tracker, rows = DeepSort(embedder=None), []
    for k, dets in enumerate(detections):
        raw = [([d[0], d[1], d[2] - d[0], d[3] - d[1]], d[4]) for d in dets]
        for track in tracker.update_tracks(raw, embeds=embeddings[k]):
            if track.is_confirmed() and track.time_since_update == 0:
                rows.append([k + 1, int(track.track_id), *track.to_ltwh(orig=True), 1.0])
    return idf1(np.array(rows), gt, length)


def test_adaptation_separates_identities_and_pays_in_deepsort(campus, tmp_path):
    info, detections, features, gt, model, folder = campus
    tracklets = motion_tracklets(SORTTracker(frame_rate=info.frame_rate), detections)
    assert len(tracklets) >= 3 and all(len(t) >= 8 for t in tracklets)
    head = fit_head(features, tracklets)
    adapted = [head(f) if len(f) else np.empty((0, head.dim), np.float32) for f in features]
    base_auc, adapted_auc = (
        identity_auc(features, detections, gt),
        identity_auc(adapted, detections, gt),
    )
    assert base_auc < 0.85 and adapted_auc > 0.93  # measured: 0.79 -> 0.98
    sort = SORTTracker(frame_rate=info.frame_rate)
    sort_rows = []
    for k, dets in enumerate(detections):
        out = sort.update(dets)
        tlwh = xyxy_to_tlwh(out[:, :4])
        sort_rows.append(np.column_stack([np.full(len(out), k + 1), out[:, 4], tlwh, out[:, 5]]))
    sort_idf1 = idf1(np.concatenate(sort_rows), gt, info.length)
    assert dsr_idf1(detections, adapted, gt, info.length) >= sort_idf1 + 0.01  # measured +3

    head.save(tmp_path / "head.npz")
    loaded = AppearanceHead.load(tmp_path / "head.npz")
    np.testing.assert_allclose(loaded(features[0]), adapted[0], atol=1e-6)
    with open_source(folder) as source:
        frame = next(iter(source))
    np.testing.assert_allclose(
        AdaptedModel(model, loaded).embed(frame, detections[0][:, :4]), adapted[0], atol=1e-4
    )


def test_bad_input_is_named(tmp_path):
    lone = [np.array([[f, 0] for f in range(10)])]
    with pytest.raises(ValueError, match="tracklets"):
        fit_head([np.ones((1, 4), np.float32)] * 10, lone)
    head = AppearanceHead(np.zeros(4, np.float32), np.eye(4, 3, dtype=np.float32))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        head(np.ones((2, 5)))
    np.testing.assert_array_equal(head(np.zeros((1, 4))), np.zeros((1, 4)))  # no appearance
    with pytest.raises(FileNotFoundError, match="path"):
        AppearanceHead.load(tmp_path / "missing.npz")

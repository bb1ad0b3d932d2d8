"""ReIDModel backends, crop extraction, bad input and feature galleries."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from keeptrack.appearance import FeatureGallery, ReIDModel, appearance_distance, ema_update
from keeptrack.appearance.features import check_embeddings, detection_features

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(120, 160, 3), dtype=np.uint8)


BOXES = np.array([[10, 10, 50, 90], [-20, 30, 30, 100], [120, 60, 200, 130]], dtype=float)


@pytest.fixture(scope="module")
def mobilenet_onnx() -> ReIDModel:
    return ReIDModel.mobilenetv2("onnx", input_size=(64, 32), threads=1)


def test_histogram_embeddings_are_unit_float32(frame):
    out = ReIDModel.histogram().embed(frame, BOXES)
    assert out.shape == (3, 192) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)


def test_partly_outside_box_equals_its_clipped_box(frame):
    model = ReIDModel.histogram()
    clipped = np.array([[0, 30, 30, 100]], dtype=float)
    np.testing.assert_allclose(model.embed(frame, BOXES[1:2]), model.embed(frame, clipped))


def test_bgr_and_rgb_frames_give_the_same_embedding(frame, mobilenet_onnx):
    rgb_model = ReIDModel.mobilenetv2("onnx", input_size=(64, 32), bgr=False, threads=1)
    bgr = mobilenet_onnx.embed(frame, BOXES)
    rgb = rgb_model.embed(frame[..., ::-1].copy(), BOXES)
    np.testing.assert_allclose(bgr, rgb, atol=1e-5)


def test_batching_does_not_change_embeddings(frame):
    small = ReIDModel.histogram()
    small.batch_size = 1
    np.testing.assert_allclose(small.embed(frame, BOXES), ReIDModel.histogram().embed(frame, BOXES))


def test_masks_blank_the_background(frame):
    model = ReIDModel.histogram()
    masks = np.zeros((1, *frame.shape[:2]), dtype=bool)
    masks[0, 20:60, 15:45] = True
    blanked = np.where(masks[0][..., None], frame, 0).astype(np.uint8)
    np.testing.assert_allclose(
        model.embed(frame, BOXES[:1], masks), model.embed(blanked, BOXES[:1]), atol=1e-6
    )


def test_mobilenet_onnx_matches_torch_eager(frame, mobilenet_onnx):
    eager = ReIDModel.mobilenetv2("torch", input_size=(64, 32), device="cpu")
    np.testing.assert_allclose(
        mobilenet_onnx.embed(frame, BOXES), eager.embed(frame, BOXES), atol=1e-4
    )
    assert mobilenet_onnx.dim == 1280


def test_from_onnx_file_and_from_torch(tmp_path, frame):
    from keeptrack.appearance.mobilenet import export_onnx

    module = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.AdaptiveAvgPool2d(1))
    path = tmp_path / "tiny.onnx"
    export_onnx(module, (32, 16), path)
    from_file = ReIDModel.from_onnx(path, input_size=(32, 16))
    from_module = ReIDModel.from_torch(module, input_size=(32, 16), device="cpu", half=True)
    assert from_file.dim == from_module.dim == 8
    np.testing.assert_allclose(
        from_file.embed(frame, BOXES), from_module.embed(frame, BOXES), atol=1e-5
    )


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((120, 160, 3), dtype=np.float32), "dtype uint8"),
        (np.zeros((120, 160), dtype=np.uint8), r"\(H, W, 3\)"),
        (np.zeros((120, 160, 4), dtype=np.uint8), "3 colour channels"),
        ([[0, 0, 0]], "NumPy image"),
    ],
)
def test_bad_frames_are_named(bad, message):
    with pytest.raises(ValueError, match=f"frame.*{message}"):
        ReIDModel.histogram().embed(bad, BOXES[:1])


def test_box_fully_outside_frame_is_refused_but_trackers_skip_it(frame):
    outside = np.array([[500, 500, 600, 600]], dtype=float)
    with pytest.raises(ValueError, match="boxes row 0.*no pixel inside"):
        ReIDModel.histogram().embed(frame, outside)
    features = detection_features(ReIDModel.histogram(), frame, np.vstack([BOXES[:1], outside]))
    assert features[0].any() and not features[1].any()


def test_wrong_masks_shape_is_named(frame):
    with pytest.raises(ValueError, match="masks"):
        ReIDModel.histogram().embed(frame, BOXES, np.ones((3, 10, 10), dtype=bool))


def test_missing_model_paths_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="path"):
        ReIDModel.from_onnx(tmp_path / "missing.onnx")
    with pytest.raises(FileNotFoundError, match="checkpoint_path"):
        ReIDModel.from_timm("resnet18", checkpoint_path=tmp_path / "missing.pth")
    with pytest.raises(FileNotFoundError, match="path"):
        ReIDModel.mobilenetv2(weights=tmp_path / "missing.pt")


def test_from_timm_never_downloads():
    with pytest.raises(ValueError, match="checkpoint_path"):
        ReIDModel.from_timm("resnet18", pretrained=True)
    with pytest.raises(ValueError, match="checkpoint_path"):  # pretrained=True by default
        ReIDModel.from_timm("resnet18")


def test_device_auto_and_bad_devices_are_named():
    module = torch.nn.Sequential(torch.nn.Flatten())
    model = ReIDModel.from_torch(module, input_size=(8, 4), device="auto")
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert model.backend.device.type == expected
    with pytest.raises(ValueError, match="device must be 'auto'"):
        ReIDModel.from_torch(module, device="tpu9")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            ReIDModel.from_torch(module, device="cuda")


def test_from_timm_without_timm_names_the_extra(tmp_path, monkeypatch):
    checkpoint = tmp_path / "weights.pth"
    checkpoint.write_bytes(b"")
    monkeypatch.setitem(sys.modules, "timm", None)
    with pytest.raises(ImportError, match=r"keeptrack\[timm\]"):
        ReIDModel.from_timm("resnet18", pretrained=True, checkpoint_path=checkpoint)


@pytest.mark.parametrize(
    ("embeddings", "message"),
    [
        (np.ones((3, 4)), r"expected shape \(2, D\)"),
        (np.ones(4), r"expected shape \(2, D\)"),
        (np.ones((2, 5)), "dimension 4"),
        (np.array([[1, 0, 0, 0], [np.nan, 0, 0, 0]]), "row 1 has NaN"),
    ],
)
def test_bad_embeddings_are_named(embeddings, message):
    with pytest.raises(ValueError, match=f"embeddings.*{message}"):
        check_embeddings(embeddings, 2, dim=4)


def test_gallery_keeps_budget_and_returns_nearest():
    gallery = FeatureGallery(budget=2)
    e = np.eye(3, dtype=np.float32)
    for feature in e:
        gallery.add(np.array([7]), feature[None])
    cost = gallery.distance(np.array([7, 8]), e)
    np.testing.assert_allclose(cost[0], [1.0, 0.0, 0.0])  # e[0] fell out of the budget
    assert np.isinf(cost[1]).all()  # unknown track: no appearance evidence
    gallery.keep(np.array([8]))
    assert len(gallery) == 0


def test_euclidean_distance_and_ema():
    a = np.array([[1.0, 0.0]], dtype=np.float32)
    b = np.array([[0.0, 1.0]], dtype=np.float32)
    np.testing.assert_allclose(appearance_distance(a, b, "euclidean"), [[np.sqrt(2)]], rtol=1e-6)
    mixed = ema_update(np.vstack([a, np.zeros_like(a)]), np.vstack([b, b]), 0.5)
    np.testing.assert_allclose(mixed, [[np.sqrt(0.5), np.sqrt(0.5)], [0.0, 1.0]], rtol=1e-6)


def test_reid_memory_gates_on_time_place_and_ambiguity():
    from keeptrack.appearance.reid import ReidMemory

    memory = ReidMemory()
    box = np.array([[100.0, 100.0, 130.0, 200.0]])  # 100 px tall
    a, b = np.array([[1.0, 0.0]], np.float32), np.array([[0.8, 0.6]], np.float32)
    memory.remember(np.array([7]), a, box, frame=10, start=np.array([1]))

    def match(feature, shift=0.0, born=20, frame=20, exclude=(), ratio=0.8):
        return memory.match(
            feature,
            box + [shift, 0, shift, 0],
            np.array([born]),
            frame,
            10.0,
            np.array(exclude, np.int64),
            threshold=0.09,
            ratio=ratio,
        ).tolist()

    assert match(a) == [[0, 0]]
    assert match(a, shift=140.0) == [[0, 0]]  # 1 s gone: reach 0.5 + 1.0 heights
    assert match(a, shift=160.0) == []  # too far for 1 s
    assert match(a, born=10) == []  # would be in two places at frame 10
    assert match(a, exclude=[7]) == []  # still tracked
    assert match(b) == []  # cosine 0.2 -> distance 0.1 > 0.09
    near_a = np.array([[0.99, 0.141]], np.float32)
    assert match(near_a) == [[0, 0]]
    memory.remember(np.array([8]), a, box, frame=10, start=np.array([1]))  # a look-alike
    assert match(near_a) == []  # ambiguous between 7 and 8
    assert len(match(near_a, ratio=1.0)) == 1

"""keeptrack's plain-torch OSNet against torchreid's own model files, on random weights."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from keeptrack import ReIDModel  # noqa: E402
from keeptrack.appearance.osnet import VARIANTS, build_osnet, load_osnet  # noqa: E402


def torchreid_models():
    """torchreid's ``osnet.py`` and ``osnet_ain.py``, loaded as files: importing the package
    itself pulls in its data pipeline and torchvision, which cannot be imported here."""
    spec = importlib.util.find_spec("torchreid")
    if spec is None:
        pytest.skip("torchreid is not installed (pip install torchreid==0.2.5 --no-deps)")
    folder = Path(spec.origin).parent / "reid" / "models"
    modules = {}
    for stem in ("osnet", "osnet_ain"):
        file_spec = importlib.util.spec_from_file_location(
            f"_torchreid_{stem}", folder / f"{stem}.py"
        )
        module = importlib.util.module_from_spec(file_spec)
        file_spec.loader.exec_module(module)
        modules[stem] = module
    return modules


def randomised(model):
    """Random weights everywhere, batch-norm statistics included, so no layer is an identity:
    variances in [0.5, 1), everything else in [-0.2, 0.2)."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.dtype.is_floating_point:
                values = torch.rand(tensor.shape, generator=generator)
                tensor.copy_(0.5 + values / 2 if "running_var" in name else (values - 0.5) * 0.4)
    return model.eval()


@pytest.mark.parametrize("name", VARIANTS)
def test_matches_torchreid_on_random_weights(name, tmp_path):
    modules = torchreid_models()
    module = modules["osnet_ain" if "ain" in name else "osnet"]
    reference = randomised(getattr(module, name)(num_classes=10, pretrained=False))
    # torchreid's training checkpoint layout: a dict with "state_dict", DataParallel prefixes
    checkpoint = {"state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()}}
    torch.save(checkpoint, tmp_path / "torchreid.pth")
    ours = load_osnet(name, tmp_path / "torchreid.pth")
    batch = torch.rand(3, 3, 256, 128, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected, got = reference(batch), ours(batch)
    assert got.shape == (3, 512)
    assert float((expected - got).abs().max()) <= 1e-5
    assert float(expected.std()) > 1e-3  # not a degenerate all-equal output


def test_bare_state_dict_and_mismatch(tmp_path):
    model = randomised(build_osnet("osnet_x0_25"))
    torch.save(model.state_dict(), tmp_path / "osnet_x0_25_msmt17.pt")  # a bare state dict
    loaded = load_osnet("osnet_x0_25", tmp_path / "osnet_x0_25_msmt17.pt")
    batch = torch.rand(2, 3, 256, 128)
    with torch.no_grad():
        np.testing.assert_array_equal(model(batch).numpy(), loaded(batch).numpy())
    with pytest.raises(ValueError, match="not an osnet_x1_0 checkpoint"):
        load_osnet("osnet_x1_0", tmp_path / "osnet_x0_25_msmt17.pt")
    with pytest.raises(FileNotFoundError, match="weights"):
        load_osnet("osnet_x1_0", tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="name must be one of"):
        build_osnet("osnet_x2_0")


def test_from_pretrained_never_downloads_and_names_the_file():
    with pytest.raises(ValueError, match=r"osnet_x1_0_msmt17\.pt.*MODEL_ZOO"):
        ReIDModel.from_pretrained("osnet_x1_0")
    with pytest.raises(ValueError, match="name must be one of"):
        ReIDModel.from_pretrained("resnet50", weights="x.pt")


def test_from_pretrained_osnet_torch_and_onnx_agree(tmp_path):
    pytest.importorskip("onnxruntime")
    torch.save(
        {"state_dict": randomised(build_osnet("osnet_x0_25")).state_dict()}, tmp_path / "w.pth"
    )
    frame = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    boxes = np.array([[10, 20, 60, 140], [100, 30, 160, 200]], dtype=float)
    eager = ReIDModel.from_pretrained("osnet_x0_25", weights=tmp_path / "w.pth", device="cpu")
    onnx = ReIDModel.from_pretrained("osnet_x0_25", weights=tmp_path / "w.pth", backend="onnx")
    a, b = eager.embed(frame, boxes), onnx.embed(frame, boxes)
    assert a.shape == (2, 512) and eager.spec.input_size == (256, 128)
    np.testing.assert_allclose(a, b, atol=1e-4)


# --- ONNX files from the exporters users meet: their input size and normalisation ------------
def _export(module, path, batch):
    """Plain ``torch.onnx.export`` as another project's script would call it."""
    dynamic = None if batch else {"input": {0: "batch"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            module.eval(),
            (torch.zeros(batch or 2, 3, 256, 128),),
            str(path),
            input_names=["input"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )


class InGraphNormalisation(torch.nn.Module):
    """fast-reid's convention: 0-255 RGB in, ImageNet normalisation inside the network."""

    def __init__(self, net):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1))

    def forward(self, x):
        return self.net((x - self.mean) / self.std)


def test_onnx_layouts_give_the_torch_features(tmp_path):
    pytest.importorskip("onnxruntime")
    torch.save(randomised(build_osnet("osnet_x0_25")).state_dict(), tmp_path / "w.pt")
    reference = ReIDModel.from_pretrained("osnet_x0_25", weights=tmp_path / "w.pt", device="cpu")
    frame = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    boxes = np.array([[10, 20, 60, 140], [100, 30, 160, 200], [200, 0, 300, 230]], dtype=float)
    expected = reference.embed(frame, boxes)

    reference.export_onnx(tmp_path / "keeptrack.onnx")  # carries size and normalisation
    mine = ReIDModel.from_onnx(tmp_path / "keeptrack.onnx")
    assert mine.spec == reference.spec
    np.testing.assert_allclose(mine.embed(frame, boxes), expected, atol=1e-4)

    net = reference.backend.module
    _export(InGraphNormalisation(net), tmp_path / "fastreid.onnx", batch=1)
    fastreid = ReIDModel.from_onnx(tmp_path / "fastreid.onnx", layout="fastreid")
    np.testing.assert_allclose(fastreid.embed(frame, boxes), expected, atol=1e-4)

    _export(net, tmp_path / "boxmot.onnx", batch=None)
    boxmot = ReIDModel.from_onnx(tmp_path / "boxmot.onnx", layout="boxmot")
    np.testing.assert_allclose(boxmot.embed(frame, boxes), expected, atol=1e-4)
    with pytest.raises(ValueError, match="layout must be one of"):
        ReIDModel.from_onnx(tmp_path / "boxmot.onnx", layout="openvino")

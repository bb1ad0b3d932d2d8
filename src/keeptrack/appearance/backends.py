"""Inference backends: each turns a normalised ``(N, 3, H, W)`` float32 batch into ``(N, D)``.

They are small callables so :class:`~keeptrack.appearance.model.ReIDModel` can treat ONNX
Runtime, a torch module and the weight-free colour histogram alike; heavy libraries are imported
only when a backend is built.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from keeptrack.appearance._lazy import require


class OnnxBackend:
    """ONNX Runtime session: the fast CPU path (graph optimisation, no Python per layer).

    Args:
        model: Path to a ``.onnx`` file or the serialised model bytes.
        providers: ONNX Runtime execution providers; CPU when ``None``.
        threads: Intra-op threads; ONNX Runtime's default (all cores) when ``None``.
    """

    def __init__(
        self,
        model: str | os.PathLike | bytes,
        providers: list[str] | None = None,
        threads: int | None = None,
    ) -> None:
        ort = require("onnxruntime", "onnx")
        options = ort.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = int(threads)
        source = model if isinstance(model, bytes) else str(model)
        self.session = ort.InferenceSession(
            source, options, providers=providers or ["CPUExecutionProvider"]
        )
        self.input = self.session.get_inputs()[0]

        batch = self.input.shape[0]
        #: Crops per run: exporters such as fast-reid's fix the batch dimension (often to 1).
        self.fixed_batch = batch if isinstance(batch, int) and batch > 0 else None

    def input_size(self) -> tuple[int, int] | None:
        """``(height, width)`` when the model fixes it, else ``None``."""
        height, width = self.input.shape[2:4]
        if isinstance(height, int) and isinstance(width, int):
            return height, width
        return None

    def metadata(self) -> dict[str, str]:
        """The model's custom metadata properties."""
        return dict(self.session.get_modelmeta().custom_metadata_map)

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        step = self.fixed_batch or len(batch)
        outs = []
        for start in range(0, len(batch), step):
            part = batch[start : start + step]
            if len(part) < step:  # pad the last run up to the fixed batch
                part = np.concatenate(
                    [part, np.zeros((step - len(part), *part.shape[1:]), part.dtype)]
                )
            out = self.session.run(None, {self.input.name: part})[0]
            outs.append(np.asarray(out, dtype=np.float32).reshape(step, -1))
        return np.concatenate(outs)[: len(batch)]


class TorchBackend:
    """Any torch module, run under ``inference_mode``.

    Args:
        module: Maps ``(N, 3, H, W)`` float32 to ``(N, D)`` (or ``(N, D, 1, 1)``).
        device: Torch device; ``"auto"`` (or ``None``): CUDA when available, else CPU.
        half: Run in float16. Only used on CUDA: CPU float16 convolutions are slow or
            unsupported, so on CPU the flag is ignored (deep_sort_realtime does the same).

    Raises:
        ValueError: For a device torch does not know or one that is not available here.
    """

    def __init__(self, module: Any, device: str | None = "auto", half: bool = False) -> None:
        self.torch = require("torch", "torch")
        if not isinstance(module, self.torch.nn.Module):
            raise ValueError(f"module must be a torch.nn.Module; got {type(module).__name__}")
        self.module = module.eval()
        self.half = bool(half)
        self.to(device)

    def to(self, device: Any) -> TorchBackend:
        """Move the module to ``device`` (half precision applies on CUDA only)."""
        self.device = resolve_device(self.torch, device)
        self.use_half = self.half and self.device.type == "cuda"
        self.module.to(self.device)
        if self.use_half:
            self.module.half()
        return self

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            x = torch.from_numpy(batch).to(self.device)
            if self.use_half:
                x = x.half()
            out = self.module(x)
        return out.float().cpu().numpy().reshape(len(batch), -1)


class HistogramBackend:
    """Colour histogram per horizontal stripe: an appearance cue with no weights and no torch.

    A joint RGB histogram with ``bins`` levels per channel is taken over each of ``stripes``
    horizontal bands (roughly head, torso and legs for a person), so two people with the same
    colours in different places still differ. The square root (Hellinger mapping) makes the
    later cosine distance behave like the Bhattacharyya distance between histograms.

    Expects the batch on the [0, 1] scale (mean 0, std 1 in the crop spec).
    """

    def __init__(self, bins: int = 4, stripes: int = 3) -> None:
        if bins < 1 or stripes < 1:
            raise ValueError(f"bins and stripes must be >= 1; got {bins} and {stripes}")
        self.bins = int(bins)
        self.stripes = int(stripes)

    @property
    def dim(self) -> int:
        return self.stripes * self.bins**3

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        n, _, height, _ = batch.shape
        levels = np.clip((batch * self.bins).astype(np.int64), 0, self.bins - 1)
        colour = (levels[:, 0] * self.bins + levels[:, 1]) * self.bins + levels[:, 2]
        stripe = (np.arange(height) * self.stripes // height)[None, :, None]
        cells = self.bins**3
        index = (np.arange(n)[:, None, None] * self.stripes + stripe) * cells + colour
        counts = np.bincount(index.ravel(), minlength=n * self.stripes * cells)
        return np.sqrt(counts.reshape(n, -1).astype(np.float32))


def resolve_device(torch: Any, device: Any) -> Any:
    """``device`` as a ``torch.device``; ``"auto"`` or ``None`` picks CUDA when available.

    Raises:
        ValueError: For a name torch does not parse, or a CUDA device this machine lacks (torch
            itself would fail later, inside the first forward pass, with a less helpful error).
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N'; got {device!r}"
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} but CUDA is not available; use 'auto' or 'cpu'")
    return resolved


def existing_file(path: str | os.PathLike, name: str) -> Path:
    """``path`` as a Path, or a FileNotFoundError naming the argument."""
    resolved = Path(path)
    if not resolved.is_file():
        raise FileNotFoundError(f"{name}: model file not found: {resolved}")
    return resolved

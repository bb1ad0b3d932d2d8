"""Track with a Roboflow ``inference`` model inside the ``process_video`` callback.

``keeptrack.detectors.adapters.InferenceDetector`` calls ``model.infer(frame)`` and converts
the result with ``sv.Detections.from_inference``, as a hand-written callback would:

    result = model.infer(frame)[0]
    detections = tracker.update(sv.Detections.from_inference(result))

Needs ``pip install inference`` and a model ``inference.get_model`` can load (it fetches
weights from Roboflow); not run by the test suite (see docs/guides/examples.md).

    python examples/inference_model.py --model yolov8n-640 --max-frames 100
"""

from __future__ import annotations

from supervision_process_video import track_video, video_arguments

from keeptrack.detectors.adapters import InferenceDetector


def main(argv: list[str] | None = None) -> set[int]:
    parser = video_arguments(__doc__.splitlines()[0])
    parser.add_argument("--model", default="yolov8n-640", help="inference model id")
    parser.add_argument("--confidence", type=float, default=0.1)
    args = parser.parse_args(argv)
    detector = InferenceDetector(args.model, confidence=args.confidence)
    return track_video(args, detector.detect)


if __name__ == "__main__":
    main()

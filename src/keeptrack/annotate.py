"""Drawing tracks on frames with supervision's annotators: boxes, ``#id`` labels, traces.

Colours follow the track id, not the class, so one object keeps its colour for the whole video
and an identity switch is visible as a colour change.
"""

from __future__ import annotations

import numpy as np
import supervision as sv


class TrackAnnotator:
    """Draws boxes, ``#id class score`` labels and motion traces for tracked detections.

    Args:
        size: ``(width, height)`` of the frames; scales line width and text.
        trace_length: Frames of trajectory drawn behind each object (0 disables traces).
        show_class: Put the class name in the label.
        show_confidence: Put the detection score in the label.
    """

    def __init__(
        self,
        size: tuple[int, int],
        trace_length: int = 30,
        show_class: bool = True,
        show_confidence: bool = False,
    ) -> None:
        thickness = sv.calculate_optimal_line_thickness(size)
        text_scale = sv.calculate_optimal_text_scale(size)
        lookup = sv.ColorLookup.TRACK
        self.boxes = sv.BoxAnnotator(thickness=thickness, color_lookup=lookup)
        self.labels = sv.LabelAnnotator(
            text_scale=text_scale,
            text_thickness=max(thickness // 2, 1),
            text_padding=max(thickness * 2, 3),
            color_lookup=lookup,
        )
        self.traces = (
            sv.TraceAnnotator(
                trace_length=trace_length,
                thickness=thickness,
                color_lookup=lookup,
                position=sv.Position.BOTTOM_CENTER,
            )
            if trace_length > 0
            else None
        )
        self.show_class = show_class
        self.show_confidence = show_confidence

    def label_texts(self, detections: sv.Detections) -> list[str]:
        """``#7 person 0.91``-style labels (class and score as configured)."""
        names = detections.data.get("class_name") if self.show_class else None
        texts = []
        for i, track_id in enumerate(detections.tracker_id):  # type: ignore[arg-type]  # set by update
            parts = [f"#{int(track_id)}"]
            if names is not None and str(names[i]):
                parts.append(str(names[i]))
            if self.show_confidence and detections.confidence is not None:
                parts.append(f"{float(detections.confidence[i]):.2f}")
            texts.append(" ".join(parts))
        return texts

    def annotate(self, frame: np.ndarray, detections: sv.Detections) -> np.ndarray:
        """Draw onto ``frame`` in place (the caller owns the decoded frame) and return it."""
        if self.traces is not None:
            frame = self.traces.annotate(frame, detections)
        if len(detections) == 0:
            return frame
        frame = self.boxes.annotate(frame, detections)
        return self.labels.annotate(frame, detections, labels=self.label_texts(detections))

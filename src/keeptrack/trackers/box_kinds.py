"""Box kind, the one strategy that tells axis-aligned from oriented tracking.

The frame step is the same for both (:mod:`keeptrack.stages.boxes`); a box kind turns the
frame's detections into the step's detection matrix and the tracks' states into the boxes
users see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keeptrack.detections import DetectionArrays
from keeptrack.geometry import normalize_angle, xywh_to_xyxy, xywhr_to_xyxy, xyxy_to_xywh


@dataclass(frozen=True)
class BoxKind:
    """Axis-aligned (``xyxy``) or oriented (``xywhr``) boxes.

    Attributes:
        name: ``"axis-aligned"`` or ``"oriented"``, for messages.
        oriented: Whether costs compare rotated boxes and the angle filter runs.
    """

    name: str
    oriented: bool

    def detection_matrix(self, detections: DetectionArrays) -> np.ndarray:
        """``(N, 7)`` ``[x1, y1, x2, y2, angle, score, class]``: each box in its own frame."""
        if detections.matrix is not None:
            return detections.matrix
        det = np.empty((len(detections), 7))
        if self.oriented and detections.xywhr is not None:
            det[:, :4] = xywh_to_xyxy(detections.xywhr[:, :4])
            det[:, 4] = detections.xywhr[:, 4]
        else:
            det[:, :4] = detections.xyxy
            det[:, 4] = 0.0
        det[:, 5] = detections.confidence
        det[:, 6] = detections.class_id
        return det

    def hulls(self, xyxy: np.ndarray, angle: np.ndarray) -> np.ndarray:
        """Axis-aligned boxes enclosing tracks whose box filter gives ``xyxy`` in their own
        frame (the boxes themselves when axis-aligned)."""
        if not self.oriented or len(xyxy) == 0:
            return xyxy
        return xywhr_to_xyxy(np.column_stack([xyxy_to_xywh(xyxy), normalize_angle(angle[:, 0])]))


AXIS_ALIGNED = BoxKind("axis-aligned", False)
ORIENTED = BoxKind("oriented", True)


def box_kind_of(oriented: bool) -> BoxKind:
    """The box kind for oriented (``True``) or axis-aligned (``False``) boxes."""
    return ORIENTED if oriented else AXIS_ALIGNED

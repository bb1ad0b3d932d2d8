"""Box kind, the one strategy that tells axis-aligned from oriented tracking.

The frame step is the same for both (:mod:`keeptrack.stages.boxes`); a box kind turns the
frame's detections into the step's detection matrix and the tracks' states into the boxes
users see.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from keeptrack.geometry import normalize_angle, xywhr_to_xyxy, xyxy_to_xywh


@dataclass(frozen=True)
class BoxKind:
    """Axis-aligned (``xyxy``) or oriented (``xywhr``) boxes.

    Attributes:
        name: ``"axis-aligned"`` or ``"oriented"``, for messages.
        oriented: Whether costs compare rotated boxes and the angle filter runs.
    """

    name: str
    oriented: bool

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

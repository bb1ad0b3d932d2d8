"""Cost matrices between tracks (rows) and detections (columns)."""

from __future__ import annotations

import numpy as np

from keeptrack.geometry import box_iou


def iou_distance(track_boxes: np.ndarray, detection_boxes: np.ndarray) -> np.ndarray:
    """``1 - IoU`` between track boxes ``(M, 4)`` and detection boxes ``(N, 4)``, xyxy."""
    return 1.0 - box_iou(track_boxes, detection_boxes)


def fuse_score(cost: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Fold detection confidence into an IoU distance, as ByteTrack does on MOT17.

    The similarity ``1 - cost`` is multiplied by each detection's score, so a confident detection
    wins a tie against a doubtful one that overlaps the track equally.

    Args:
        cost: ``(M, N)`` IoU distance matrix.
        scores: ``(N,)`` detection confidences.
    """
    if cost.size == 0:
        return cost
    return 1.0 - (1.0 - cost) * np.asarray(scores, dtype=np.float64)[None, :]

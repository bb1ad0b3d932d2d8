"""Cost matrices between tracks (rows) and detections (columns)."""

from __future__ import annotations

import numpy as np

from keeptrack.geometry import pairwise_iou


def iou_distance(track_boxes: np.ndarray, detection_boxes: np.ndarray) -> np.ndarray:
    """``1 - IoU`` between track boxes ``(M, 4)`` and detection boxes ``(N, 4)``, xyxy.

    Oriented boxes ``(M, 5)`` / ``(N, 5)`` (``xywhr``) use the exact rotated IoU.
    """
    return 1.0 - pairwise_iou(track_boxes, detection_boxes)


def gate_classes(
    cost: np.ndarray,
    track_classes: np.ndarray,
    detection_classes: np.ndarray,
    fill: float = np.inf,
) -> np.ndarray:
    """Forbid pairs whose classes differ (class-aware tracking), for every tracker at once.

    One masked cost matrix replaces running a tracker per class: same-class pairs keep their
    cost, other pairs get ``fill`` (``inf``, which :func:`linear_assignment` never accepts), so
    a car can never take a person's identity while one assignment still serves all classes.

    Args:
        cost: ``(M, N)`` cost (or, with ``fill=-inf``, similarity) matrix.
        track_classes: ``(M,)`` class of each track.
        detection_classes: ``(N,)`` class of each detection.
        fill: Value for cross-class pairs.
    """
    different = np.asarray(track_classes)[:, None] != np.asarray(detection_classes)[None, :]
    return np.where(different, fill, cost)


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

"""Cost matrices, score fusion and linear assignment shared by every tracker."""

from keeptrack.association.assignment import linear_assignment
from keeptrack.association.costs import fuse_score, gate_classes, iou_distance
from keeptrack.association.direction import direction_consistency, unit_direction

__all__ = [
    "direction_consistency",
    "fuse_score",
    "gate_classes",
    "iou_distance",
    "linear_assignment",
    "unit_direction",
]

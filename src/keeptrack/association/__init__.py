"""Cost matrices, score fusion and linear assignment shared by every tracker."""

from keeptrack.association.assignment import linear_assignment
from keeptrack.association.costs import fuse_score, iou_distance

__all__ = ["fuse_score", "iou_distance", "linear_assignment"]

"""Motion models: batched Kalman filters (and camera motion compensation)."""

from keeptrack.motion.kalman import KalmanXYAH, KalmanXYSR, KalmanXYWH

__all__ = ["KalmanXYAH", "KalmanXYSR", "KalmanXYWH"]

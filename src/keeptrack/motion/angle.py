"""A batched constant-velocity Kalman filter for the angle of oriented boxes.

Oriented-box tracking keeps the box filter of each tracker unchanged (it sees the box in its
own rotated frame as ``[cx, cy, w, h]``) and adds this independent filter on ``[angle,
angular velocity]``. Keeping the two apart means axis-aligned input, whose angle is always
exactly zero, produces bit-for-bit the same box states as the ``xyxy`` path.
"""

from __future__ import annotations

import numpy as np

from keeptrack.geometry import normalize_angle
from keeptrack.motion.kalman import _ConstantVelocityKalman


class KalmanAngle(_ConstantVelocityKalman):
    """Constant angular velocity on ``[angle, d angle / dt]`` (radians per frame).

    Noise levels (standard deviations): measurement 0.05 rad (about 3 degrees, typical of OBB
    detectors), process 0.02 rad and 0.01 rad/frame, initial velocity 0.1 rad/frame so a
    spinning object is followed from its second observation.
    """

    ndim_measure = 1
    ndim_state = 2
    _initial_std = np.array([0.05, 0.1])
    _process_std = np.array([0.02, 0.01])
    _measurement_std = np.array([0.05])

    def initial_std(self, measurement: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._initial_std, (len(measurement), 2))

    def process_std(self, mean: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._process_std, (len(mean), 2))

    def measurement_std(self, mean: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._measurement_std, (len(mean), 1))

    def update(
        self, mean: np.ndarray, cov: np.ndarray, measurement: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Standard update; the angle is then wrapped back into ``(-pi, pi]``.

        ``measurement`` must already be unwrapped near the predicted angle (see
        :func:`keeptrack.geometry.align_xywhr`), so the innovation is the short way round.
        """
        mean, cov = super().update(mean, cov, np.asarray(measurement).reshape(-1, 1))
        mean[:, 0] = normalize_angle(mean[:, 0])
        return mean, cov

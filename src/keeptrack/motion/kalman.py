"""Batched constant-velocity Kalman filters.

A tracker keeps the state of all its tracks in one ``(N, D)`` mean array and one ``(N, D, D)``
covariance array; every method here works on the whole batch with a handful of NumPy calls, so
predicting or updating fifty tracks costs about as much as one.

Three parameterisations are provided, each matching the noise model of the tracker family that
introduced it:

- :class:`KalmanXYAH` -- ``[cx, cy, aspect, h]`` + velocities; noise scaled by box height
  (DeepSORT, ByteTrack).
- :class:`KalmanXYWH` -- ``[cx, cy, w, h]`` + velocities; noise scaled by width and height
  (BoT-SORT).
- :class:`KalmanXYSR` -- ``[cx, cy, area, ratio]`` + velocities of the first three; fixed noise
  (SORT, OC-SORT; the ratio is assumed constant).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.stats import chi2

from keeptrack import geometry
from keeptrack.stages.boxes import XYAH, XYSR, XYWH

#: 95% quantile of the chi-square distribution, indexed by degrees of freedom (DeepSORT gating).
CHI2_95 = {dof: float(chi2.ppf(0.95, dof)) for dof in range(1, 10)}


@njit(cache=True)
def predict_inplace(
    mean: np.ndarray, cov: np.ndarray, rows: np.ndarray, std: np.ndarray, velocity_dims: int
) -> None:
    """``x = F x``, ``P = F P F^T + diag(std^2)`` for tracks ``rows``, in place.

    ``F`` adds each velocity (the last ``velocity_dims`` state components) to its position, so
    ``F P F^T`` is two block additions (rows, then columns) rather than two matrix products.
    Compiled, and shared by the Kalman classes and the compiled tracker steps, so both give
    bit-identical states. ``std`` has one row per entry of ``rows``.
    """
    d = mean.shape[1]
    m = d - velocity_dims
    for k in range(len(rows)):
        n = rows[k]
        for j in range(velocity_dims):
            mean[n, j] += mean[n, m + j]
        for j in range(velocity_dims):
            for c in range(d):
                cov[n, j, c] += cov[n, m + j, c]
        for r in range(d):
            for j in range(velocity_dims):
                cov[n, r, j] += cov[n, r, m + j]
        for j in range(d):
            cov[n, j, j] += std[k, j] * std[k, j]


@njit(cache=True)
def _coordinates_apart(cov: np.ndarray, n: int, coordinate: np.ndarray) -> bool:
    """Whether track ``n``'s covariance links each measured coordinate only with itself and
    its own velocity (the state components of one ``coordinate``), as every filter here keeps
    it until a rotating camera warp mixes x and y."""
    d = cov.shape[1]
    for a in range(d):
        for b in range(d):
            if coordinate[a] != coordinate[b] and cov[n, a, b] != 0.0:
                return False
    return True


@njit(cache=True)
def update_inplace(
    mean: np.ndarray, cov: np.ndarray, rows: np.ndarray, measurement: np.ndarray, std: np.ndarray
) -> None:
    """Correct tracks ``rows`` with their measurements (of the first ``M`` state components).

    In place; ``measurement`` and ``std`` (measurement noise) have one row per entry of ``rows``.

    While a track's coordinates are apart (:func:`_coordinates_apart`), the innovation
    covariance ``S`` is diagonal and each row of the gain has one non-zero entry, so the
    correction touches only the entries that can change: a few dozen products instead of the
    ``D x D x M`` of the full update, with bit-identical results (the full sums add exact
    zeros to the one product that counts). Otherwise ``S`` is inverted. ``K S K^T = K H P``
    saves a product.
    """
    d = mean.shape[1]
    m = measurement.shape[1]
    gain = np.empty((d, m))
    s = np.empty((m, m))
    s_diagonal_inverse = np.empty(m)  # S^-1 while the coordinates are apart
    innovation = np.empty(m)
    measured_rows = np.empty((m, d))
    coordinate = np.arange(d) % m  # component a + j * m is coordinate a or its velocity
    for k in range(len(rows)):
        n = rows[k]
        for a in range(m):
            innovation[a] = measurement[k, a] - mean[n, a]
            for c in range(d):
                measured_rows[a, c] = cov[n, a, c]
        if _coordinates_apart(cov, n, coordinate):
            for a in range(m):
                s_diagonal_inverse[a] = 1.0 / (cov[n, a, a] + std[k, a] * std[k, a])
            for r in range(d):
                a = coordinate[r]
                g = cov[n, r, a] * s_diagonal_inverse[a]
                mean[n, r] += 0.0 + g * innovation[a]  # 0.0 +: the full sum's sign of zero
                c = a
                while c < d:  # this coordinate's components only
                    cov[n, r, c] -= 0.0 + g * measured_rows[a, c]
                    c += m
            continue
        diagonal = True
        for a in range(m):
            for b in range(m):
                s[a, b] = cov[n, a, b]
                if a != b and s[a, b] != 0.0:
                    diagonal = False
            s[a, a] += std[k, a] * std[k, a]
        if diagonal:
            for a in range(m):
                inverse = 1.0 / s[a, a]
                for r in range(d):
                    gain[r, a] = cov[n, r, a] * inverse
        else:
            s_inverse = np.linalg.inv(s)
            for r in range(d):
                for a in range(m):
                    total = 0.0
                    for b in range(m):
                        total += cov[n, r, b] * s_inverse[b, a]
                    gain[r, a] = total
        for r in range(d):
            correction = 0.0
            for a in range(m):
                correction += gain[r, a] * innovation[a]
            mean[n, r] += correction
            for c in range(d):
                total = 0.0
                for a in range(m):
                    total += gain[r, a] * measured_rows[a, c]
                cov[n, r, c] -= total


@njit(cache=True)
def xyah_std(height: np.ndarray, position: float, velocity: float, floor: float) -> np.ndarray:
    """DeepSORT / ByteTrack noise: standard deviations ``(N, 8)`` proportional to box height.

    Position and velocity of ``cx, cy, h`` scale with the height; the aspect ratio's noise does
    not scale with size, so it gets a fixed ``floor`` (and ``1e-5`` for its velocity).
    """
    out = np.empty((len(height), 8))
    for n in range(len(height)):
        h = height[n]
        for j in (0, 1, 3):
            out[n, j] = h * position
            out[n, 4 + j] = h * velocity
        out[n, 2] = floor
        out[n, 6] = 1e-5
    return out


@njit(cache=True)
def xywh_std(width: np.ndarray, height: np.ndarray, position: float, velocity: float):
    """BoT-SORT noise: standard deviations ``(N, 8)``, ``[w, h, w, h] * position`` then
    ``[w, h, w, h] * velocity``."""
    out = np.empty((len(width), 8))
    for n in range(len(width)):
        for j in range(4):
            size = width[n] if j % 2 == 0 else height[n]
            out[n, j] = size * position
            out[n, 4 + j] = size * velocity
    return out


def _diag(values: np.ndarray) -> np.ndarray:
    """Stack rows of ``values`` (N, D) into diagonal matrices (N, D, D)."""
    n, d = values.shape
    out = np.zeros((n, d * d))
    out[:, :: d + 1] = values
    return out.reshape(n, d, d)


class _ConstantVelocityKalman:
    """Shared linear algebra; subclasses define box conversion and the noise model.

    The state is ``[z_0 .. z_{m-1}, v_0 .. v_{k-1}]`` where ``z`` is the 4-d measurement and the
    first ``k`` measurement components carry a velocity.
    """

    ndim_measure = 4
    ndim_state = 8
    #: The motion model's number in the compiled stages (:mod:`keeptrack.stages.boxes`).
    model = XYAH
    std_weight_position = 1.0 / 20
    std_weight_velocity = 1.0 / 160

    def noise_parameters(self) -> np.ndarray:
        """The noise model as the compiled stages take it (:mod:`keeptrack.stages.kalman`):
        ``[position, velocity]`` weights of the size-scaled models."""
        return np.array([self.std_weight_position, self.std_weight_velocity])

    def __init__(self) -> None:
        d, m = self.ndim_state, self.ndim_measure
        self._velocity_dims = d - m
        self.transition = np.eye(d)
        for i in range(self._velocity_dims):
            self.transition[i, m + i] = 1.0
        self.measurement = np.eye(m, d)
        #: :meth:`noise_parameters`, computed once: every compiled step takes it every frame.
        self.noise = self.noise_parameters()

    # --- subclass hooks -------------------------------------------------------------------
    def to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def initial_std(self, measurement: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def process_std(self, mean: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def measurement_std(self, mean: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # --- batched filter -------------------------------------------------------------------
    def initiate(self, measurement: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start tracks from measurements ``(N, 4)`` with zero velocity."""
        measurement = np.asarray(measurement, dtype=np.float64).reshape(-1, self.ndim_measure)
        mean = np.zeros((len(measurement), self.ndim_state))
        mean[:, : self.ndim_measure] = measurement
        return mean, _diag(self.initial_std(measurement) ** 2)

    def predict(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Advance every track one time step: ``x = F x``, ``P = F P F^T + Q``."""
        if len(mean) == 0:
            return mean, cov
        mean, cov = self._limit_velocity(mean).copy(), cov.copy()
        rows = np.arange(len(mean))
        predict_inplace(mean, cov, rows, self.process_std(mean), self._velocity_dims)
        return mean, cov

    def _limit_velocity(self, mean: np.ndarray) -> np.ndarray:
        """Hook for filters that must clamp a velocity before predicting."""
        return mean

    def project(self, mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Measurement-space mean ``(N, 4)`` and innovation covariance ``(N, 4, 4)``."""
        m = self.ndim_measure
        s = cov[:, :m, :m].copy()
        s.reshape(-1, m * m)[:, :: m + 1] += self.measurement_std(mean) ** 2
        return mean[:, :m], s

    def update(
        self, mean: np.ndarray, cov: np.ndarray, measurement: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Correct tracks ``(N, D)`` with one measurement each ``(N, 4)``."""
        if len(mean) == 0:
            return mean, cov
        mean, cov = mean.copy(), cov.copy()
        measurement = np.ascontiguousarray(measurement, dtype=np.float64)
        rows = np.arange(len(mean))
        update_inplace(mean, cov, rows, measurement, self.measurement_std(mean))
        return mean, cov

    def gating_distance(
        self,
        mean: np.ndarray,
        cov: np.ndarray,
        measurements: np.ndarray,
        only_position: bool = False,
    ) -> np.ndarray:
        """Squared Mahalanobis distance of every measurement to every track, ``(N, M)``.

        Args:
            mean: Track means ``(N, D)``.
            cov: Track covariances ``(N, D, D)``.
            measurements: Measurements ``(M, 4)`` in this filter's parameterisation.
            only_position: Use only the box centre (2 degrees of freedom), as DeepSORT's
                ``gating_only_position``.
        """
        proj_mean, s = self.project(mean, cov)
        dims = 2 if only_position else self.ndim_measure
        proj_mean, s = proj_mean[:, :dims], s[:, :dims, :dims]
        diff = np.asarray(measurements, dtype=np.float64)[None, :, :dims] - proj_mean[:, None, :]
        chol = np.linalg.cholesky(s)
        z = np.linalg.solve(chol[:, None], diff[..., None])[..., 0]
        return np.sum(z * z, axis=-1)

    def apply_affine(
        self, mean: np.ndarray, cov: np.ndarray, warp: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Move every track by a 2x3 camera-motion warp (state and covariance in one call).

        The centre is mapped by the full affine transform, the centre velocity by its linear
        part, and sizes are scaled by the warp's isotropic scale ``sqrt(|det A|)``.

        Returns:
            New ``(mean, cov)``; the arguments are left as they are.
        """
        mean, cov = mean.copy(), cov.copy()
        self.apply_affine_inplace(mean, cov, np.asarray(warp, dtype=np.float64))
        return mean, cov

    def apply_affine_inplace(self, mean: np.ndarray, cov: np.ndarray, warp: np.ndarray) -> None:
        """:meth:`apply_affine` writing into ``mean`` and ``cov`` (a tracker's own columns, on
        every frame with camera motion: copying them cost more than moving them)."""
        if len(mean) == 0:
            return
        if warp[0, 0] == warp[1, 1] == 1.0 and warp[0, 1] == warp[1, 0] == 0.0:
            # A pure translation (what box-based estimates give every frame) moves the centres
            # and leaves velocities, sizes and the covariance as they are.
            mean[:, :2] += warp[:, 2]
            return
        jac = self._affine_jacobian(warp)
        mean[:] = mean @ jac.T
        mean[:, :2] += warp[:, 2]
        cov[:] = jac @ cov @ jac.T

    def _affine_jacobian(self, warp: np.ndarray) -> np.ndarray:
        lin = warp[:, :2]
        scale = float(np.sqrt(abs(np.linalg.det(lin))))
        m = self.ndim_measure
        jac = np.eye(self.ndim_state)
        jac[:2, :2] = lin
        jac[m : m + 2, m : m + 2] = lin
        for i, factor in self._size_scaling(scale):
            jac[i, i] = factor
        return jac

    def _size_scaling(self, scale: float) -> list[tuple[int, float]]:
        raise NotImplementedError


class KalmanXYAH(_ConstantVelocityKalman):
    """DeepSORT / ByteTrack filter on ``[cx, cy, w/h, h]``; noise proportional to height."""

    def to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        return geometry.xyxy_to_xyah(xyxy)

    def to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        return geometry.xyah_to_xyxy(mean[:, :4])

    def initial_std(self, measurement: np.ndarray) -> np.ndarray:
        p, v = self.std_weight_position, self.std_weight_velocity
        return xyah_std(measurement[:, 3], 2 * p, 10 * v, 1e-2)

    def process_std(self, mean: np.ndarray) -> np.ndarray:
        return xyah_std(mean[:, 3], self.std_weight_position, self.std_weight_velocity, 1e-2)

    def measurement_std(self, mean: np.ndarray) -> np.ndarray:
        return xyah_std(mean[:, 3], self.std_weight_position, 0.0, 0.1)[:, :4]

    def _size_scaling(self, scale: float) -> list[tuple[int, float]]:
        return [(3, scale), (7, scale)]


class KalmanXYWH(_ConstantVelocityKalman):
    """BoT-SORT filter on ``[cx, cy, w, h]``; noise proportional to width and height."""

    model = XYWH

    def to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        return geometry.xyxy_to_xywh(xyxy)

    def to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        return geometry.xywh_to_xyxy(mean[:, :4])

    def initial_std(self, measurement: np.ndarray) -> np.ndarray:
        p, v = self.std_weight_position, self.std_weight_velocity
        return xywh_std(measurement[:, 2], measurement[:, 3], 2 * p, 10 * v)

    def process_std(self, mean: np.ndarray) -> np.ndarray:
        p, v = self.std_weight_position, self.std_weight_velocity
        return xywh_std(mean[:, 2], mean[:, 3], p, v)

    def measurement_std(self, mean: np.ndarray) -> np.ndarray:
        return xywh_std(mean[:, 2], mean[:, 3], self.std_weight_position, 0.0)[:, :4]

    def _size_scaling(self, scale: float) -> list[tuple[int, float]]:
        return [(2, scale), (3, scale), (6, scale), (7, scale)]


class KalmanXYSR(_ConstantVelocityKalman):
    """SORT filter on ``[cx, cy, area, ratio]`` with velocities of centre and area.

    Noise follows the SORT reference: ``R = diag(1, 1, 10, 10)``, initial velocity variance 1e4,
    ``Q = diag(1, 1, 1, 1, 0.01, 0.01, 1e-4)``. A prediction that would make the area negative
    zeroes the area velocity first, as in the reference.
    """

    ndim_state = 7
    model = XYSR
    _initial_var = np.array([10.0, 10.0, 10.0, 10.0, 1e4, 1e4, 1e4])
    _process_var = np.array([1.0, 1.0, 1.0, 1.0, 1e-2, 1e-2, 1e-4])
    _measurement_var = np.array([1.0, 1.0, 10.0, 10.0])

    def to_measurement(self, xyxy: np.ndarray) -> np.ndarray:
        return geometry.xyxy_to_xysr(xyxy)

    def to_xyxy(self, mean: np.ndarray) -> np.ndarray:
        return geometry.xysr_to_xyxy(mean[:, :4])

    def initial_std(self, measurement: np.ndarray) -> np.ndarray:
        return np.sqrt(np.broadcast_to(self._initial_var, (len(measurement), 7)))

    def process_std(self, mean: np.ndarray) -> np.ndarray:
        return np.sqrt(np.broadcast_to(self._process_var, (len(mean), 7)))

    def measurement_std(self, mean: np.ndarray) -> np.ndarray:
        return np.sqrt(np.broadcast_to(self._measurement_var, (len(mean), 4)))

    def noise_parameters(self) -> np.ndarray:
        """Process, measurement and initial standard deviations in one row: this filter's
        noise does not depend on the state, so the compiled steps take it once."""
        return np.sqrt(
            np.concatenate([self._process_var, self._measurement_var, self._initial_var])
        )

    def _limit_velocity(self, mean: np.ndarray) -> np.ndarray:
        if len(mean):
            shrinking = mean[:, 6] + mean[:, 2] <= 0
            if shrinking.any():
                mean = mean.copy()
                mean[shrinking, 6] = 0.0
        return mean

    def _size_scaling(self, scale: float) -> list[tuple[int, float]]:
        return [(2, scale**2), (6, scale**2)]

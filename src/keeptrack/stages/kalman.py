"""Predict, Kalman correction and track birth as compiled stages, for every motion model.

Each model's noise comes as one flat array from its filter class
(:meth:`keeptrack.motion.kalman._ConstantVelocityKalman.noise_parameters`): ``[position,
velocity]`` weights for the size-scaled XYAH / XYWH models, the fixed process, measurement
and initial standard deviations for XYSR. Oriented tracks also run the angle filter
(:class:`keeptrack.motion.angle.KalmanAngle`) here.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from keeptrack.motion.angle import KalmanAngle
from keeptrack.motion.kalman import predict_inplace, update_inplace, xyah_std, xywh_std
from keeptrack.stages.boxes import (
    SCORE,
    XYAH,
    XYSR,
    aligned,
    measurements,
    normalize_angle,
    state_xyxy,
)

_ANGLE_PROCESS = KalmanAngle._process_std.copy()
_ANGLE_MEASUREMENT = KalmanAngle._measurement_std.copy()
_ANGLE_INITIAL = KalmanAngle._initial_std.copy()


@njit(cache=True)
def repeat(row: np.ndarray, count: int) -> np.ndarray:
    """``count`` copies of ``row`` ``(count, len(row))``."""
    out = np.empty((count, len(row)))
    for k in range(count):
        out[k] = row
    return out


@njit(cache=True)
def _scaled(boxes, rows, model, position, velocity, floor):
    """XYAH / XYWH noise standard deviations for ``boxes[rows]`` (states or measurements)."""
    height = np.empty(len(rows))
    width = np.empty(len(rows))
    for k in range(len(rows)):
        width[k] = boxes[rows[k], 2]
        height[k] = boxes[rows[k], 3]
    if model == XYAH:
        return xyah_std(height, position, velocity, floor)
    return xywh_std(width, height, position, velocity)


@njit(cache=True)
def _velocity_dims(model):
    """How many leading state components carry a velocity: XYSR's ratio has none."""
    return 3 if model == XYSR else 4


@njit(cache=True)
def _stop_shrinking(mean, r):
    """XYSR: zero state ``r``'s area velocity when it would turn the area negative (SORT's
    reference)."""
    if mean[r, 6] + mean[r, 2] <= 0:
        mean[r, 6] = 0.0


@njit(cache=True)
def predict_tracks(mean, cov, angle, angle_cov, rows, model, noise, oriented):
    """Predict tracks ``rows`` one frame ahead, in place (box filter, and angle if oriented).

    XYSR first stops an area that would turn negative from shrinking (SORT's reference).
    """
    if model == XYSR:
        for r in rows:
            _stop_shrinking(mean, r)
        std = repeat(noise[: mean.shape[1]], len(rows))
    else:
        std = _scaled(mean, rows, model, noise[0], noise[1], 1e-2)
    predict_inplace(mean, cov, rows, std, _velocity_dims(model))
    if oriented:
        predict_inplace(angle, angle_cov, rows, repeat(_ANGLE_PROCESS, len(rows)), 1)


@njit(cache=True)
def predicted_xyxy(mean, rows, model):
    """Boxes ``(k, 4)`` of tracks ``rows`` one frame ahead, in their own frame, leaving the
    tracks as they are: the mean :func:`predict_tracks` would give, without the covariance."""
    d, velocity_dims = mean.shape[1], _velocity_dims(model)
    ahead = np.empty((len(rows), d))
    for k in range(len(rows)):
        ahead[k] = mean[rows[k]]
        if model == XYSR:
            _stop_shrinking(ahead, k)
        for j in range(velocity_dims):
            ahead[k, j] += ahead[k, d - velocity_dims + j]
    return state_xyxy(ahead, len(rows), model)


@njit(cache=True)
def measurement_noise(mean, rows, model, noise):
    """Measurement noise standard deviations ``(k, 4)`` of tracks ``rows``."""
    if model == XYSR:
        d = mean.shape[1]
        return repeat(noise[d : d + 4], len(rows))
    return _scaled(mean, rows, model, noise[0], 0.0, 0.1)[:, :4]


@njit(cache=True)
def correct(columns, rows, dets, det, model, noise, frame_id, oriented):
    """Kalman-correct tracks ``rows`` with detections ``dets`` and refresh their bookkeeping.

    Oriented detections are first re-expressed near each track's angle
    (:func:`~keeptrack.stages.boxes.aligned`), then correct the angle filter too.

    Returns:
        The frame boxes ``(k, 4)`` the tracks were corrected with.
    """
    _, _, mean, cov, score, _, _, last_frame, hits, det_index, angle, angle_cov = columns[:12]
    boxes, angles = aligned(det, dets, angle, rows)
    std = measurement_noise(mean, rows, model, noise)
    update_inplace(mean, cov, rows, measurements(boxes, model), std)
    if oriented:
        update_inplace(
            angle, angle_cov, rows, angles.reshape(-1, 1), repeat(_ANGLE_MEASUREMENT, len(rows))
        )
    for k in range(len(rows)):
        r = rows[k]
        if oriented:
            angle[r, 0] = normalize_angle(angle[r, 0])
        score[r] = det[dets[k], SCORE]
        last_frame[r] = frame_id
        hits[r] += 1
        det_index[r] = dets[k]
    return boxes


@njit(cache=True)
def initial_noise(measurement, model, noise):
    """Initial state standard deviations ``(k, 8)`` of new tracks."""
    if model == XYSR:
        return repeat(noise[(len(noise) + 4) // 2 :], len(measurement))
    rows = np.arange(len(measurement))
    return _scaled(measurement, rows, model, 2 * noise[0], 10 * noise[1], 1e-2)


@njit(cache=True)
def mahalanobis_diagonal(mean, cov, n, z, model, noise):
    """Squared Mahalanobis distance of every measurement ``z`` ``(m, 4)`` to each of the first
    ``n`` tracks' projected states, with the innovation covariance's diagonal only (as
    BoostTrack: one division per entry instead of a solve per track)."""
    rows = np.arange(n)
    std = measurement_noise(mean, rows, model, noise)
    # One row of coordinates per measurement dimension, so that the loop over measurements
    # reads contiguous memory and the compiler can divide several entries at once.
    zt = np.ascontiguousarray(z[:, :4].T)
    z0, z1, z2, z3 = zt[0], zt[1], zt[2], zt[3]
    out = np.empty((n, len(z)))
    for r in range(n):
        m0, m1, m2, m3 = mean[r, 0], mean[r, 1], mean[r, 2], mean[r, 3]
        v0 = cov[r, 0, 0] + std[r, 0] * std[r, 0]
        v1 = cov[r, 1, 1] + std[r, 1] * std[r, 1]
        v2 = cov[r, 2, 2] + std[r, 2] * std[r, 2]
        v3 = cov[r, 3, 3] + std[r, 3] * std[r, 3]
        row = out[r]
        for c in range(len(z)):
            d0, d1, d2, d3 = z0[c] - m0, z1[c] - m1, z2[c] - m2, z3[c] - m3
            row[c] = d0 * d0 / v0 + d1 * d1 / v1 + d2 * d2 / v2 + d3 * d3 / v3
    return out

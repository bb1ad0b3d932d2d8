"""Motion-direction consistency, OC-SORT's observation-centric momentum (OCM) term.

IoU alone cannot tell apart two objects whose boxes overlap after crossing; their directions of
travel can. OC-SORT compares each track's recent direction (from an observation ``delta_t``
frames ago to its latest one) with the direction from that old observation to every candidate
detection, and rewards agreement.
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-6


def unit_direction(origin: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Unit vectors ``(..., 2)`` from ``origin`` to ``target`` points; zero for no movement.

    Both arrays broadcast against each other; the last axis is ``(x, y)``.
    """
    delta = np.asarray(target, dtype=np.float64) - np.asarray(origin, dtype=np.float64)
    norm = np.linalg.norm(delta, axis=-1, keepdims=True)
    return delta / (norm + _EPS)


def direction_consistency(
    track_directions: np.ndarray,
    track_origins: np.ndarray,
    detection_centres: np.ndarray,
) -> np.ndarray:
    """OCM agreement ``(M, N)`` in ``[-0.5, 0.5]`` between tracks and detections.

    The value is ``(pi / 2 - theta) / pi`` where ``theta`` is the angle between a track's
    direction and the direction from its origin to the detection: 0.5 for the same heading,
    -0.5 for the opposite one, 0 when the track has no direction yet (zero vector).

    Args:
        track_directions: ``(M, 2)`` unit (or zero) direction of each track.
        track_origins: ``(M, 2)`` centre of each track's observation ``delta_t`` frames ago.
        detection_centres: ``(N, 2)`` detection centres.
    """
    to_detection = unit_direction(track_origins[:, None, :], detection_centres[None, :, :])
    cosine = np.clip(np.einsum("mk,mnk->mn", track_directions, to_detection), -1.0, 1.0)
    return (np.pi / 2 - np.arccos(cosine)) / np.pi

"""NSA Kalman (StrongSORT): measurement noise scaled by (1 - detection confidence)."""

import numpy as np
import pytest

from keeptrack.motion.kalman import KalmanXYAH, KalmanXYWH, NSAKalmanXYAH, NSAKalmanXYWH

PAIRS = [(NSAKalmanXYAH, KalmanXYAH), (NSAKalmanXYWH, KalmanXYWH)]


def tracks(kf, n=5, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 500, (n, 2))
    xyxy = np.column_stack([xy, xy + rng.uniform(20, 120, (n, 2))])
    mean, cov = kf.initiate(kf.to_measurement(xyxy))
    mean, cov = kf.predict(mean, cov)
    target = kf.to_measurement(xyxy + rng.normal(0, 4, (n, 4)))
    return mean, cov, target


@pytest.mark.parametrize(("nsa", "base"), PAIRS)
def test_without_confidence_the_update_is_the_base_filters(nsa, base):
    mean, cov, z = tracks(base())
    expected = base().update(mean, cov, z)
    for got, want in zip(nsa().update(mean, cov, z), expected, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize(("nsa", "base"), PAIRS)
def test_confidence_scales_the_measurement_variance(nsa, base):
    """The NSA update equals the textbook update with R multiplied by 1 - confidence."""
    kf = nsa()
    mean, cov, z = tracks(kf)
    conf = np.array([0.0, 0.3, 0.6, 0.9, 0.99])
    got_mean, got_cov = kf.update(mean, cov, z, confidence=conf)
    h = kf.measurement
    for i in range(len(mean)):
        r = np.diag(kf.measurement_std(mean[i : i + 1])[0] ** 2 * (1 - conf[i]))
        s = h @ cov[i] @ h.T + r
        gain = cov[i] @ h.T @ np.linalg.inv(s)
        np.testing.assert_allclose(got_mean[i], mean[i] + gain @ (z[i] - h @ mean[i]), atol=1e-9)
        np.testing.assert_allclose(
            got_cov[i], (np.eye(len(mean[i])) - gain @ h) @ cov[i], atol=1e-9
        )
    # Confidence 0 is the base filter; higher confidence pulls the state closer to the box.
    np.testing.assert_allclose(got_mean[0], base().update(mean[:1], cov[:1], z[:1])[0][0])
    gap = np.abs(got_mean[:, :4] - z).sum(axis=1) / np.abs(mean[:, :4] - z).sum(axis=1)
    assert gap[4] < gap[0]


def test_out_of_range_confidence_is_clipped_and_empty_input_passes():
    kf = NSAKalmanXYWH()
    mean, cov, z = tracks(kf, n=2)
    high = kf.update(mean, cov, z, confidence=np.array([1.5, -0.2]))
    clipped = kf.update(mean, cov, z, confidence=np.array([1.0, 0.0]))
    np.testing.assert_allclose(high[0], clipped[0])
    empty = kf.update(mean[:0], cov[:0], z[:0], confidence=np.empty(0))
    assert empty[0].shape == (0, 8)

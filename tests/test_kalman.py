import numpy as np
import pytest

from keeptrack.motion.kalman import CHI2_95, KalmanXYAH, KalmanXYSR, KalmanXYWH

FILTERS = [KalmanXYAH, KalmanXYWH, KalmanXYSR]
RNG = np.random.default_rng(3)


def make_tracks(kf, n=6):
    xy = RNG.uniform(50, 500, size=(n, 2))
    wh = RNG.uniform(20, 120, size=(n, 2))
    boxes = np.hstack([xy, xy + wh])
    mean, cov = kf.initiate(kf.to_measurement(boxes))
    mean[:, kf.ndim_measure :] = RNG.normal(size=(n, kf.ndim_state - kf.ndim_measure))
    return boxes, mean, cov


def textbook_step(kf, mean, cov, z):
    """One predict + update per track with explicit matrices (the reference to match)."""
    f, h = kf.transition, kf.measurement
    q = np.diag(kf.process_std(mean[None])[0] ** 2)
    m = f @ mean
    p = f @ cov @ f.T + q
    r = np.diag(kf.measurement_std(m[None])[0] ** 2)
    s = h @ p @ h.T + r
    k = p @ h.T @ np.linalg.inv(s)
    return m + k @ (z - h @ m), p - k @ s @ k.T


@pytest.mark.parametrize("rotated", [False, True])
@pytest.mark.parametrize("cls", FILTERS)
def test_batched_predict_update_equals_per_track_textbook_filter(cls, rotated):
    kf = cls()
    boxes, mean, cov = make_tracks(kf)
    if rotated:  # a rotating camera couples x and y: the full (non-diagonal) update path
        angle = 0.05
        warp = np.array([[np.cos(angle), -np.sin(angle), 4.0], [np.sin(angle), np.cos(angle), 1.0]])
        mean, cov = kf.apply_affine(mean, cov, warp)
        assert np.count_nonzero(cov[:, :4, :4]) > len(cov) * 4
    z = kf.to_measurement(boxes + RNG.normal(scale=2.0, size=boxes.shape))
    pm, pc = kf.predict(mean, cov)
    um, uc = kf.update(pm, pc, z)
    for i in range(len(mean)):
        em, ec = textbook_step(kf, mean[i], cov[i], z[i])
        np.testing.assert_allclose(um[i], em, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(uc[i], ec, rtol=1e-9, atol=1e-9)


def dense_update(mean, cov, z, std):
    """The full update's sums for one track, every term included, in the compiled order."""
    d, m = len(mean), len(z)
    gain = np.array(
        [[cov[r, a] * (1.0 / (cov[a, a] + std[a] ** 2)) for a in range(m)] for r in range(d)]
    )
    innovation = z - mean[:m]
    new_mean, new_cov = mean.copy(), cov.copy()
    for r in range(d):
        correction = 0.0
        for a in range(m):
            correction += gain[r, a] * innovation[a]
        new_mean[r] += correction
        for c in range(d):
            total = 0.0
            for a in range(m):
                total += gain[r, a] * cov[a, c]
            new_cov[r, c] -= total
    return new_mean, new_cov


@pytest.mark.parametrize("cls", FILTERS)
def test_update_of_independent_coordinates_is_bit_identical_to_the_full_sums(cls):
    """The update skips the gain's zero entries while coordinates are apart; the result must
    be the full computation's to the last bit (the golden hashes depend on it)."""
    kf = cls()
    boxes, mean, cov = make_tracks(kf)
    mean, cov = kf.predict(mean, cov)
    z = kf.to_measurement(boxes + RNG.normal(scale=2.0, size=boxes.shape))
    std = kf.measurement_std(mean)
    um, uc = kf.update(mean, cov, z)
    for i in range(len(mean)):
        em, ec = dense_update(mean[i], cov[i], z[i], std[i])
        assert np.array_equal(um[i], em) and np.array_equal(uc[i], ec)


@pytest.mark.parametrize("cls", FILTERS)
def test_constant_velocity_object_is_followed(cls):
    kf = cls()
    box = np.array([[100.0, 100.0, 140.0, 200.0]])
    mean, cov = kf.initiate(kf.to_measurement(box))
    for _ in range(30):
        box = box + [3.0, 1.0, 3.0, 1.0]
        mean, cov = kf.predict(mean, cov)
        mean, cov = kf.update(mean, cov, kf.to_measurement(box))
    predicted, _ = kf.predict(mean, cov)
    np.testing.assert_allclose(kf.to_xyxy(predicted), box + [3.0, 1.0, 3.0, 1.0], atol=0.5)


@pytest.mark.parametrize("cls", FILTERS)
def test_gating_distance_is_squared_mahalanobis(cls):
    kf = cls()
    boxes, mean, cov = make_tracks(kf, 4)
    z = kf.to_measurement(boxes[::-1] + 3.0)
    d = kf.gating_distance(mean, cov, z)
    proj, s = kf.project(mean, cov)
    for i in range(4):
        for j in range(4):
            diff = z[j] - proj[i]
            assert d[i, j] == pytest.approx(diff @ np.linalg.inv(s[i]) @ diff, rel=1e-9)
    assert kf.gating_distance(mean, cov, z, only_position=True).shape == (4, 4)
    assert CHI2_95[4] == pytest.approx(9.4877, abs=1e-4)


@pytest.mark.parametrize("cls", FILTERS)
def test_affine_warp_translates_boxes(cls):
    kf = cls()
    boxes, mean, cov = make_tracks(kf)
    warp = np.array([[1.0, 0.0, 12.0], [0.0, 1.0, -5.0]])
    moved, moved_cov = kf.apply_affine(mean, cov, warp)
    np.testing.assert_allclose(kf.to_xyxy(moved), kf.to_xyxy(mean) + [12, -5, 12, -5], atol=1e-9)
    np.testing.assert_allclose(moved_cov, cov, atol=1e-12)


def test_affine_warp_scales_sizes():
    kf = KalmanXYWH()
    mean, cov = kf.initiate(np.array([[100.0, 50.0, 20.0, 40.0]]))
    warp = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    moved, _ = kf.apply_affine(mean, cov, warp)
    np.testing.assert_allclose(moved[0, :4], [200.0, 100.0, 40.0, 80.0])


def test_sort_filter_never_predicts_negative_area():
    kf = KalmanXYSR()
    mean, cov = kf.initiate(np.array([[50.0, 50.0, 4.0, 1.0]]))
    mean[0, 6] = -10.0  # shrinking faster than the area allows
    predicted, _ = kf.predict(mean, cov)
    assert predicted[0, 2] >= 0


@pytest.mark.parametrize(
    "warp", [[[1, 0, 5.0], [0, 1, -3.0]], [[0.99, -0.05, 4.0], [0.05, 0.99, 1.0]]]
)
def test_affine_in_place_is_the_copying_affine(warp):
    kf = KalmanXYAH()
    mean, cov = kf.initiate(np.array([[100.0, 200.0, 0.4, 80.0], [300.0, 50.0, 0.5, 60.0]]))
    moved, moved_cov = kf.apply_affine(mean, cov, np.array(warp))
    kf.apply_affine_inplace(mean, cov, np.array(warp))
    np.testing.assert_array_equal(mean, moved)
    np.testing.assert_array_equal(cov, moved_cov)

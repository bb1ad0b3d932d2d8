import numpy as np
import pytest

from keeptrack.postprocess import interpolate_tracks


def test_gap_is_filled_linearly_and_long_gaps_are_left_alone():
    rows = np.array(
        [
            [1, 7, 0.0, 0.0, 10.0, 20.0, 0.9],
            [4, 7, 30.0, 3.0, 10.0, 20.0, 0.6],
            [1, 8, 100.0, 0.0, 10.0, 10.0, 0.9],
            [40, 8, 200.0, 0.0, 10.0, 10.0, 0.9],
        ]
    )
    out = interpolate_tracks(rows, max_gap=20)
    track7 = out[out[:, 1] == 7]
    np.testing.assert_array_equal(track7[:, 0], [1, 2, 3, 4])
    np.testing.assert_allclose(track7[1, 2:6], [10.0, 1.0, 10.0, 20.0])
    np.testing.assert_allclose(track7[1:3, 6], 0.6)
    assert len(out[out[:, 1] == 8]) == 2  # a 39-frame gap is not bridged
    assert np.all(np.diff(out[:, 0]) >= 0)  # sorted by frame


def test_no_gap_and_bad_shape():
    rows = np.array([[1, 1, 0, 0, 5, 5, 1.0], [2, 1, 1, 0, 5, 5, 1.0]])
    np.testing.assert_array_equal(interpolate_tracks(rows), rows)
    assert interpolate_tracks(np.empty((0, 7))).shape == (0, 7)
    with pytest.raises(ValueError, match="rows"):
        interpolate_tracks(np.ones((3, 4)))

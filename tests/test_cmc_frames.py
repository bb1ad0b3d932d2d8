"""Pixel camera motion accepts every image a tracker accepts, and rejects the rest cleanly."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from keeptrack import BoTSORTTracker
from keeptrack.motion.camera import CMC, METHODS, make_cmc

PAN = np.float64([[1, 0, 6.0], [0, 1, -4.0]])


def textured(seed: int = 0) -> np.ndarray:
    """A smooth random BGR texture, 240x320, and the same scene panned by ``PAN``."""
    small = np.random.default_rng(seed).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    image = cv2.GaussianBlur(
        cv2.resize(small, (320, 240), interpolation=cv2.INTER_CUBIC), (5, 5), 0
    )
    return image


@pytest.mark.parametrize("method", METHODS)
def test_grey_bgr_bgra_and_float_frames_give_the_bgr_estimate(method):
    image = textured()
    moved = cv2.warpAffine(image, PAN, (320, 240), borderMode=cv2.BORDER_REFLECT)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), cv2.cvtColor(moved, cv2.COLOR_BGR2GRAY)
    none = np.empty((0, 4))

    def warp(first, second):
        cmc = CMC(method)
        cmc.estimate(first, none)
        return cmc.estimate(second, none)

    expected = warp(image, moved)
    if method != "ecc":  # ECC's fit on this synthetic pan is loose; the others recover it
        np.testing.assert_allclose(expected[:, 2], PAN[:, 2], atol=1.0)
    np.testing.assert_array_equal(warp(*grey), expected)
    np.testing.assert_array_equal(warp(grey[0][..., None], grey[1][..., None]), expected)
    bgra = [cv2.cvtColor(f, cv2.COLOR_BGR2BGRA) for f in (image, moved)]
    np.testing.assert_array_equal(warp(*bgra), expected)
    # Float images in [0, 1] are rescaled to 0-255 first: the same motion comes out.
    floats = warp(image / 255.0, moved / 255.0)
    np.testing.assert_allclose(floats[:, 2], expected[:, 2], atol=0.5)


@pytest.mark.parametrize("cmc", ["sparse_flow", "auto"])
def test_trackers_take_single_channel_frames(cmc):
    tracker = BoTSORTTracker(cmc=cmc)
    frame = cv2.cvtColor(textured(), cv2.COLOR_BGR2GRAY)[..., None]  # (H, W, 1) uint8
    for _ in range(3):
        out = tracker.update(np.array([[10, 20, 50, 120, 0.9]]), frame=frame)
    assert tracker.frame_id == 3 and len(out) == 1


@pytest.mark.parametrize("name", ["sparse_flow", "auto"])
def test_bad_frames_raise_value_error_and_change_nothing(name):
    cmc = make_cmc(name)
    cmc.estimate(textured(), np.empty((0, 5)))
    before = cmc.state_dict()
    bad_frames = [
        np.zeros((240, 320, 2), np.uint8),
        np.zeros((240,), np.uint8),
        np.zeros((0, 320, 3), np.uint8),
        np.zeros((240, 320, 3), bool),
        [[0, 1], [2, 3]],
    ]
    for bad in bad_frames:
        with pytest.raises(ValueError, match="CMC frame"):
            cmc.estimate(bad, np.empty((0, 5)))
    with pytest.raises(ValueError, match="boxes"):
        cmc.estimate(textured(), np.array([[0, 0, np.nan, 10, 0.9]]))
    after = cmc.state_dict()
    frames_state = (after.get("frames", after), before.get("frames", before))
    for key in ("grey", "mask"):
        np.testing.assert_array_equal(frames_state[0][key], frames_state[1][key])
    assert after.get("had_frame") == before.get("had_frame")

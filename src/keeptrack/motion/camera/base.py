"""The one interface every camera-motion estimator offers, and the helpers trackers call on it.

Kept free of OpenCV and Numba so that a tracker (and ``import keeptrack``) can name the
interface without loading either; the estimators themselves live in :mod:`.pixels`,
:mod:`.boxes` and :mod:`.replay`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np

IDENTITY = np.eye(2, 3)

#: The OpenCV estimators accepted by :class:`CMC` (and by a tracker's ``cmc=`` string).
METHODS = ("sparse_flow", "orb", "sift", "ecc")

#: The ``cmc=`` name of the frame-free :class:`BoxMotion` estimator.
BOXES = "boxes"

#: The ``cmc=`` name of :class:`FrameOrBoxMotion`: sparse flow on frames, boxes without.
AUTO = "auto"

#: The ``cmc=`` name of a sequence's ``gmc.txt`` replayed by :class:`PrecomputedWarps`; only
#: code that knows the sequence folder (``keeptrack bench``, ``keeptrack track``, the
#: benchmarks) can resolve it, through :func:`keeptrack.io.sequence.resolve_cmc`.
FILE = "file"


@runtime_checkable
class CameraMotion(Protocol):
    """What a tracker needs from a camera-motion source; every estimator here implements it.

    A tracker calls ``estimate`` only on frames it is given an image for, unless
    ``needs_frame`` is ``False`` (:class:`BoxMotion`, :class:`FrameOrBoxMotion`,
    :class:`PrecomputedWarps`): those are called on every frame with ``(N, 5)`` boxes (score
    last) and ``predicted=``, the tracker's ``(M, 4)`` xyxy predictions of the tracks it
    matched in the last frame. ``state_dict`` / ``load_state_dict`` save and restore what the
    estimator remembers between frames, so a tracker resumes a stream identically.

    A user's own estimator needs only ``estimate(frame, boxes)`` and ``reset()``
    (:func:`make_cmc` accepts it): without ``needs_frame`` it is treated as pixel-based, and
    without ``state_dict`` it is reset instead of restored when a tracker resumes.

    The frame-free estimators here also offer ``estimate_checked(frame, xyxy, confidence,
    predictions)``, which a tracker calls instead of ``estimate`` on every frame: the boxes
    come already checked, as float64 ``(N, 4)`` and ``(N,)`` scores, and the predictions as a
    callable, so that a replay such as :class:`PrecomputedWarps` never pays for them. Without
    a frame its warp is trusted as is (it comes from the checked boxes or a checked file); a
    warp from pixels is checked like any other. Frame-free estimation runs every frame, and
    checking arguments the tracker has checked already cost as much as the estimate itself.
    """

    #: ``False`` when the estimator runs without pixels (then it is called on every frame).
    needs_frame: bool

    def estimate(
        self, frame: np.ndarray | None, boxes: np.ndarray, predicted: np.ndarray | None = None
    ) -> np.ndarray:
        """The ``(2, 3)`` warp from the previous frame to this one (``boxes``: its detections)."""
        ...

    def reset(self) -> None:
        """Forget the previous frame (a new stream starts)."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """What the estimator remembers between frames."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`."""
        ...


def motion_state(cmc: Any) -> dict[str, Any] | None:
    """What a camera-motion object remembers between frames, or ``None`` if it cannot say.

    Why: a tracker's ``state_dict()`` must resume a stream identically, and pixel-based CMC
    compares each frame with the previous one. The classes here expose ``state_dict`` /
    ``load_state_dict``; a user's own estimator that does not is simply not saved.
    """
    save = getattr(cmc, "state_dict", None)
    return save() if callable(save) else None


def load_motion_state(cmc: Any, state: dict[str, Any] | None) -> None:
    """Restore what :func:`motion_state` saved; a missing state resets the estimator."""
    load = getattr(cmc, "load_state_dict", None)
    if state is not None and callable(load):
        load(state)
    elif cmc is not None:
        cmc.reset()


def box_array(boxes: Any, name: str, widths: tuple[int, ...]) -> np.ndarray:
    """``boxes`` as a float64 ``(N, w)`` array for one of ``widths``; empty gives ``(0, w0)``.

    Raises:
        ValueError: Naming ``name``, for a non-finite array or another shape.
    """
    array = np.asarray(boxes, dtype=np.float64)
    if array.size == 0:
        return np.empty((0, widths[0]))
    if array.ndim != 2 or array.shape[1] not in widths or not np.isfinite(array).all():
        cols = " or ".join(str(w) for w in widths)
        raise ValueError(f"{name} must be a finite (N, {cols}) array; got shape {array.shape}")
    return array

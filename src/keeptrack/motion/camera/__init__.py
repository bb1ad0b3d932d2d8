"""Camera motion compensation (CMC): the global image motion between consecutive frames.

When the camera pans, every object appears to move, so constant-velocity predictions land in
the wrong place and identities switch. Estimating the background's motion as one 2x3 affine
warp (previous frame -> current frame) and moving every track's Kalman state and covariance by
it (:meth:`keeptrack.trackers.base.BaseTracker.apply_camera_motion`) removes that error; this is
BoT-SORT's "GMC" step, usable by every keeptrack tracker through its ``cmc`` argument.

Every estimator follows one protocol, :class:`~.base.CameraMotion`; they come in three kinds:

- from pixels (:mod:`.pixels`): :class:`CMC` with ``"sparse_flow"``, ``"orb"``, ``"sift"`` or
  ``"ecc"``;
- from boxes, without pixels (:mod:`.boxes`): :class:`BoxMotion` (``"boxes"``), and
  :class:`FrameOrBoxMotion` (``"auto"``: pixels when a frame comes, boxes otherwise);
- from files (:mod:`.replay`): :class:`PrecomputedWarps` replays warps computed earlier, such as
  a MOTChallenge sequence's ``gmc.txt`` (``"file"`` where the sequence folder is known).

The estimators load on first use, so naming this package imports neither OpenCV nor Numba.
"""

from __future__ import annotations

import importlib
from typing import Any

from keeptrack.motion.camera.base import (
    AUTO,
    BOXES,
    FILE,
    IDENTITY,
    METHODS,
    CameraMotion,
    load_motion_state,
    motion_state,
)

#: Public name -> submodule defining it, imported when the name is first used.
_LAZY = {
    "CMC": "pixels",
    "BoxMotion": "boxes",
    "FrameOrBoxMotion": "boxes",
    "PrecomputedWarps": "replay",
    "read_warps": "replay",
    "save_warps": "replay",
}

__all__ = [
    "AUTO",
    "BOXES",
    "FILE",
    "IDENTITY",
    "METHODS",
    "CameraMotion",
    "load_motion_state",
    "make_cmc",
    "motion_state",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_cmc(cmc: str | CameraMotion | None) -> CameraMotion | None:
    """Resolve a tracker's ``cmc`` argument: ``None``, a method name or a camera-motion object.

    ``"boxes"`` gives :class:`BoxMotion`, ``"auto"`` :class:`FrameOrBoxMotion` (sparse flow
    on frames, boxes without); the other names give :class:`CMC`. Any object with
    ``estimate(frame, boxes)`` and ``reset()`` is used as it is.

    Raises:
        ValueError: For an unknown method name, for ``"file"`` (a tracker does not know which
            sequence it runs on), or an object without ``estimate``/``reset``.
    """
    if cmc is None:
        return None
    if isinstance(cmc, str):
        if cmc == BOXES:
            return __getattr__("BoxMotion")()
        if cmc == AUTO:
            return __getattr__("FrameOrBoxMotion")()
        if cmc == FILE:
            raise ValueError(
                "cmc='file' replays a sequence's gmc.txt, so only a sequence folder can resolve "
                "it (keeptrack bench / track on a MOTChallenge folder); in code, pass "
                "cmc=PrecomputedWarps('<sequence>/gmc.txt')"
            )
        if cmc not in METHODS:
            names = ", ".join(METHODS + (BOXES, AUTO, FILE))
            raise ValueError(f"cmc method must be one of {names}; got {cmc!r}")
        return __getattr__("CMC")(cmc)
    if callable(getattr(cmc, "estimate", None)) and callable(getattr(cmc, "reset", None)):
        return cmc
    raise ValueError(
        f"cmc must be None, one of {', '.join(METHODS + (BOXES, AUTO, FILE))}, or an object with "
        f"estimate(frame, boxes) and reset(); got {type(cmc).__name__}"
    )

"""Structure-of-arrays storage for tracks and the read-only public view of one track."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class TrackState(IntEnum):
    """Lifecycle of a track.

    ``TENTATIVE`` tracks wait for confirmation, ``TRACKED`` ones were matched recently and are
    reported, ``LOST`` ones are kept (predicted, not reported) in case the object comes back.
    """

    TENTATIVE = 0
    TRACKED = 1
    LOST = 2


# Plain-int aliases for the hot loop: comparing a NumPy array with an IntEnum member makes NumPy
# probe the member's attributes through Enum.__getattr__, which costs more than the comparison.
TENTATIVE, TRACKED, LOST = (int(state) for state in TrackState)


@dataclass(frozen=True)
class TrackView:
    """A snapshot of one track, for users; trackers never read it back.

    Attributes:
        track_id: The identity reported in ``tracker_id``.
        state: ``"tentative"``, ``"tracked"`` or ``"lost"``.
        xyxy: The track's current box (the Kalman state after this frame's update, or its
            prediction when it was not matched).
        score: Confidence of the last matched detection.
        class_id: The track's class.
        age: Frames since the track started.
        hits: Number of frames in which a detection was matched to the track.
        time_since_update: Frames since the last matched detection (0 when matched this frame).
    """

    track_id: int
    state: str
    xyxy: tuple[float, float, float, float]
    score: float
    class_id: int
    age: int
    hits: int
    time_since_update: int


class TrackTable:
    """Tracks of one tracker as parallel NumPy arrays (one row per track).

    Every tracker declares its columns once; selecting, appending and deleting rows then work on
    all columns together, so per-frame work is a few vectorised calls regardless of track count.

    Args:
        columns: ``name -> (trailing_shape, dtype)`` for every per-track quantity.
    """

    def __init__(self, columns: dict[str, tuple[tuple[int, ...], type]]) -> None:
        self._spec = dict(columns)
        self._data = {
            name: np.empty((0, *shape), dtype=dtype) for name, (shape, dtype) in columns.items()
        }

    def __len__(self) -> int:
        return len(next(iter(self._data.values())))

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self._data[name] = value

    def append(self, **values: np.ndarray) -> np.ndarray:
        """Add rows; every column must be given. Returns the indices of the new rows."""
        missing = self._spec.keys() - values.keys()
        if missing:
            raise KeyError(f"missing track columns: {sorted(missing)}")
        start = len(self)
        if len(next(iter(values.values()))) == 0:
            return np.arange(start, start)
        for name, value in values.items():
            shape, dtype = self._spec[name]
            block = np.asarray(value, dtype=dtype).reshape(-1, *shape)
            self._data[name] = np.concatenate([self._data[name], block])
        return np.arange(start, len(self))

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where ``mask`` is true (drops removed tracks)."""
        if mask.all():
            return
        for name, column in self._data.items():
            self._data[name] = column[mask]

    def replace(self, columns: dict[str, np.ndarray]) -> None:
        """Swap in new arrays for some columns (a compiled step's output, already in the
        columns' dtypes); columns not given are reset to zeros of the new length."""
        n = len(next(iter(columns.values())))
        for name, (shape, dtype) in self._spec.items():
            column = columns.get(name)
            self._data[name] = np.zeros((n, *shape), dtype) if column is None else column

    def reorder(self, index: np.ndarray) -> None:
        """Keep rows ``index`` in that order."""
        for name, column in self._data.items():
            self._data[name] = column[index]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of all columns."""
        return {name: column.copy() for name, column in self._data.items()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore columns saved by :meth:`state_dict`."""
        if set(state) != set(self._spec):
            raise ValueError(
                f"state has track columns {sorted(state)}, expected {sorted(self._spec)}"
            )
        self._data = {
            name: np.array(state[name], dtype=self._spec[name][1]).reshape(-1, *shape)
            for name, (shape, _) in self._spec.items()
        }

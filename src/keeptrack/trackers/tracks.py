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
    Columns live in preallocated storage that grows by doubling, so a compiled step
    (:mod:`keeptrack.stages.lifecycle`) can remove and add rows in place; ``table[name]``
    is a view of the live rows.

    Args:
        columns: ``name -> (trailing_shape, dtype)`` for every per-track quantity.
        capacity: Rows allocated up front.
    """

    def __init__(self, columns: dict[str, tuple[tuple[int, ...], type]], capacity: int = 64):
        self._spec = dict(columns)
        self._length = 0
        self._storage = self._allocate(capacity)
        self._step_columns: tuple[tuple[str, ...], tuple[np.ndarray, ...]] | None = None

    def _allocate(self, capacity: int) -> dict[str, np.ndarray]:
        self._step_columns = None  # new storage: the cached tuple of columns is stale
        return {
            name: np.zeros((capacity, *shape), dtype=dtype)
            for name, (shape, dtype) in self._spec.items()
        }

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, name: str) -> np.ndarray:
        return self._storage[name][: self._length]

    def __setitem__(self, name: str, value: np.ndarray) -> None:
        self._storage[name][: self._length] = value

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more rows (doubling the storage when it is full)."""
        needed = self._length + extra
        capacity = len(next(iter(self._storage.values())))
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        storage = self._allocate(capacity)
        for name, column in self._storage.items():
            storage[name][: self._length] = column[: self._length]
        self._storage = storage

    def step_columns(self, names: tuple[str, ...]) -> tuple[np.ndarray, ...]:
        """The whole allocated columns ``names``, as one tuple, for a compiled step; cached
        until the storage is reallocated, since building it costs as much as a small step."""
        if self._step_columns is None or self._step_columns[0] != names:
            self._step_columns = (names, tuple(self._storage[name] for name in names))
        return self._step_columns[1]

    @property
    def storage(self) -> dict[str, np.ndarray]:
        """The whole allocated columns, live rows first (for compiled steps)."""
        return self._storage

    def set_length(self, length: int) -> None:
        """Declare how many leading storage rows are live (after a compiled step)."""
        self._length = int(length)

    def append(self, **values: np.ndarray) -> np.ndarray:
        """Add rows; every column must be given. Returns the indices of the new rows."""
        missing = self._spec.keys() - values.keys()
        if missing:
            raise KeyError(f"missing track columns: {sorted(missing)}")
        start = self._length
        count = len(next(iter(values.values())))
        if count == 0:
            return np.arange(start, start)
        self.reserve(count)
        for name, value in values.items():
            shape, _ = self._spec[name]
            self._storage[name][start : start + count] = np.reshape(value, (-1, *shape))
        self._length += count
        return np.arange(start, self._length)

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the rows where ``mask`` is true (drops removed tracks)."""
        if mask.all():
            return
        self.reorder(np.flatnonzero(mask))

    def reorder(self, index: np.ndarray) -> None:
        """Keep rows ``index`` in that order."""
        for column in self._storage.values():
            column[: len(index)] = column[index]
        self._length = len(index)

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of all columns."""
        return {name: self[name].copy() for name in self._spec}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore columns saved by :meth:`state_dict`."""
        if set(state) != set(self._spec):
            raise ValueError(
                f"state has track columns {sorted(state)}, expected {sorted(self._spec)}"
            )
        columns: dict[str, np.ndarray] = {
            name: np.array(state[name], dtype=self._spec[name][1]).reshape(-1, *shape)
            for name, (shape, _) in self._spec.items()
        }
        lengths = {len(column) for column in columns.values()}
        if len(lengths) != 1:
            raise ValueError(f"state track columns have different lengths {sorted(lengths)}")
        self._length = lengths.pop()
        self._storage = self._allocate(max(64, self._length))
        for name, column in columns.items():
            self._storage[name][: self._length] = column

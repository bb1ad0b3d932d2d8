"""One MOTChallenge sequence folder, cut to a split: what tests, benchmarks and the CLI all load.

A sequence folder holds ``seqinfo.ini``, ``det/det.txt``, ``gt/gt.txt`` and optionally
``gmc.txt`` (one camera-motion warp per frame, BoT-SORT's GMC format). A split keeps a
contiguous run of frames and renumbers them from 1:

- ``all``: every frame (the full sequence);
- ``val-half``: frames ``h+1..N`` with ``h = N // 2 + 1`` (the MOT17 "ablation" protocol: the
  YOLOX detector was trained on the first half);
- ``train-half``: frames ``1..h``, where tracker changes are chosen before the val half
  confirms them.

Detections, ground truth and camera motion are cut the same way, so ``gmc.txt`` line ``k``
(the warp from frame ``k`` onto frame ``k + 1``, 1-based frames, line 0 the identity) is
replayed at the frame it belongs to: for the val half, lines ``h..N-1``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np

from keeptrack.io.mot import (
    detections_by_frame,
    find_sequences,
    read_mot_detections,
    read_mot_tracks,
    read_seqinfo,
    shift_frames,
    val_half_start,
)

#: The camera-motion file of a sequence folder.
WARPS_FILE = "gmc.txt"


class Split(str, Enum):
    """Which frames of a sequence are used (and renumbered from 1)."""

    all = "all"
    val_half = "val-half"
    train_half = "train-half"

    def bounds(self, length: int) -> tuple[int, int]:
        """``(start, stop)``: the split keeps frames ``start + 1 .. stop`` of ``1..length``."""
        if self is Split.all:
            return 0, length
        h = val_half_start(length)
        return (h, length) if self is Split.val_half else (0, h)


@dataclass(frozen=True)
class Sequence:
    """One sequence cut to a split; frames are renumbered ``1..length``.

    Attributes:
        name: The sequence name (``seqinfo.ini``'s, else the folder's).
        folder: The sequence folder.
        frame_rate: Frames per second.
        split: The split it was cut to.
        full_length: Frames of the whole sequence (``seqinfo.ini``'s ``seqLength``).
        start: Frames of the whole sequence before the first one kept.
        length: Frames kept.
        frames: Per-frame ``(N, 5)`` detections ``[x1, y1, x2, y2, score]`` (empty list when
            loaded without detections).
        gt: GT rows (``frame, id, left, top, width, height, flag, class, visibility``), or
            ``None`` when loaded without.
    """

    name: str
    folder: Path
    frame_rate: float
    split: Split
    full_length: int
    start: int
    length: int
    frames: list[np.ndarray]
    gt: np.ndarray | None

    @property
    def has_warps(self) -> bool:
        """Whether the folder holds a ``gmc.txt``."""
        return (self.folder / WARPS_FILE).is_file()

    def warps(self) -> np.ndarray:
        """This split's ``(length, 2, 3)`` camera-motion warps from ``gmc.txt``.

        Raises:
            FileNotFoundError: If the folder has no ``gmc.txt``.
            ValueError: If the file does not hold one warp per frame of the full sequence.
        """
        from keeptrack.motion.camera.replay import read_warps

        path = self.folder / WARPS_FILE
        warps = read_warps(path)
        if len(warps) != self.full_length:
            raise ValueError(
                f"{path}: {len(warps)} warps for a sequence of {self.full_length} frames"
            )
        return warps[self.start : self.start + self.length]

    def with_unit_scores(self) -> Sequence:
        """A copy whose detection scores are divided by the sequence's largest score (negative
        scores clipped to 0).

        Why: some detectors' scores are unbounded (MOT15's ACF: about -1 to 140), while the
        trackers' thresholds are fractions of 1.
        """
        top = max((d[:, 4].max() for d in self.frames if len(d)), default=1.0)
        frames = [np.column_stack([d[:, :4], np.clip(d[:, 4], 0, None) / top]) for d in self.frames]
        return replace(self, frames=frames)

    def camera_motion(self) -> Any:
        """A :class:`~keeptrack.motion.camera.PrecomputedWarps` replaying :meth:`warps`."""
        from keeptrack.motion.camera.replay import PrecomputedWarps

        return PrecomputedWarps(self.warps())


def load_sequence(
    folder: str | Path,
    split: Split | str = Split.all,
    detections: bool = True,
    gt: bool = True,
    det_name: str = "det.txt",
) -> Sequence:
    """Read a MOTChallenge sequence folder and cut it to ``split``.

    Every file is validated against the full sequence length (``seqinfo.ini``) before the cut.

    Args:
        folder: The sequence folder (with ``seqinfo.ini``).
        split: ``"all"``, ``"val-half"`` or ``"train-half"``.
        detections: Read ``det/<det_name>``.
        gt: Read ``gt/gt.txt``.
        det_name: The detections file inside ``det/``.

    Raises:
        FileNotFoundError: For a missing ``seqinfo.ini``, det or gt file.
        MOTFormatError: For a malformed file, naming the file and line.
        ValueError: For an unknown split.
    """
    folder = Path(folder)
    names = [s.value for s in Split]
    if split not in names:
        raise ValueError(f"split must be one of {', '.join(names)}; got {split!r}")
    split = Split(split)
    info = read_seqinfo(folder)
    start, stop = split.bounds(info.length)
    frames: list[np.ndarray] = []
    if detections:
        det = read_mot_detections(folder / "det" / det_name, info.length)
        frames = detections_by_frame(shift_frames(det, start), stop - start)
    gt_rows = None
    if gt:
        rows = shift_frames(read_mot_tracks(folder / "gt" / "gt.txt", info.length), start)
        gt_rows = rows[rows[:, 0] <= stop - start]
    return Sequence(
        info.name, folder, info.frame_rate, split, info.length, start, stop - start, frames, gt_rows
    )


def load_sequences(
    root: str | Path, split: Split | str = Split.all, det_name: str = "det.txt"
) -> list[Sequence]:
    """Every sequence under ``root`` with ``gt/gt.txt`` and ``det/<det_name>``, sorted by name.

    Raises:
        FileNotFoundError: If ``root`` holds no such sequence.
    """
    root = Path(root)
    names = [n for n in find_sequences(root) if (root / n / "det" / det_name).is_file()]
    if not names:
        raise FileNotFoundError(f"no <sequence>/gt/gt.txt with det/{det_name} under {root}")
    return [load_sequence(root / name, split, det_name=det_name) for name in names]


def resolve_cmc(params: dict[str, Any], sequence: Sequence) -> dict[str, Any]:
    """Tracker arguments with ``cmc="file"`` replaced by the sequence's replayed ``gmc.txt``.

    Why: a tracker does not know which sequence it runs on; whoever loaded the sequence does.

    Raises:
        FileNotFoundError: For ``cmc="file"`` when the folder has no ``gmc.txt``.
    """
    # Imported here: loading sequences (``keeptrack eval``) must not load the motion package.
    from keeptrack.motion.camera.base import FILE

    if params.get("cmc") != FILE:
        return params
    if not sequence.has_warps:
        raise FileNotFoundError(
            f"cmc=file: no {WARPS_FILE} in {sequence.folder} (one warp per frame, BoT-SORT's "
            "GMC format)"
        )
    return dict(params, cmc=sequence.camera_motion())

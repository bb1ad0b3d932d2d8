"""MOTChallenge text files: detections, ground truth, tracker results and ``seqinfo.ini``.

All files are comma-separated with 1-based frame numbers and ``[left, top, width, height]``
boxes:

- det: ``frame, -1, left, top, width, height, score[, x, y, z]``
- gt: ``frame, id, left, top, width, height, flag, class, visibility``
- results: ``frame, id, left, top, width, height, score, -1, -1, -1``

Malformed lines raise :class:`MOTFormatError` naming the file and the line number.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class MOTFormatError(ValueError):
    """A MOTChallenge file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class SequenceInfo:
    """The ``[Sequence]`` section of a ``seqinfo.ini``."""

    name: str
    frame_rate: float
    length: int
    width: int | None = None
    height: int | None = None
    image_dir: str = "img1"
    image_ext: str = ".jpg"


def read_seqinfo(path: str | Path) -> SequenceInfo:
    """Read a ``seqinfo.ini`` (the file itself or the sequence folder holding it)."""
    path = Path(path)
    if path.is_dir():
        path = path / "seqinfo.ini"
    if not path.is_file():
        raise FileNotFoundError(f"seqinfo.ini not found: {path}")
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
        section = parser["Sequence"]
        return SequenceInfo(
            name=section.get("name", path.parent.name),
            frame_rate=float(section.get("frameRate", "30")),
            length=int(section["seqLength"]),
            width=int(section["imWidth"]) if "imWidth" in section else None,
            height=int(section["imHeight"]) if "imHeight" in section else None,
            image_dir=section.get("imDir", "img1"),
            image_ext=section.get("imExt", ".jpg"),
        )
    except (KeyError, ValueError, configparser.Error) as error:
        raise MOTFormatError(f"{path}: not a valid seqinfo.ini ({error})") from None


def read_mot_file(path: str | Path, min_columns: int = 6) -> np.ndarray:
    """Read a MOTChallenge text file into a float64 array, one row per line.

    Lines may be separated by commas or whitespace; blank lines are skipped. Rows shorter than
    the longest are padded with -1 (results files are often written with 7 or 10 columns).

    Args:
        path: The file.
        min_columns: Columns every line must have (6 = frame, id and the box).

    Raises:
        FileNotFoundError: If the file does not exist.
        MOTFormatError: On a line with too few or non-numeric fields (file and line named).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MOT file not found: {path}")
    rows: list[list[float]] = []
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            fields = text.replace(",", " ").split()
            if len(fields) < min_columns:
                raise MOTFormatError(
                    f"{path}:{number}: expected at least {min_columns} comma-separated fields, "
                    f"got {len(fields)}: {text!r}"
                )
            try:
                values = [float(field) for field in fields]
            except ValueError:
                raise MOTFormatError(f"{path}:{number}: non-numeric field in {text!r}") from None
            if not np.isfinite(values).all():
                raise MOTFormatError(f"{path}:{number}: NaN or inf in {text!r}")
            rows.append(values)
    if not rows:
        return np.empty((0, max(min_columns, 10)))
    width = max(len(row) for row in rows)
    out = np.full((len(rows), width), -1.0)
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def detections_by_frame(det: np.ndarray, length: int) -> list[np.ndarray]:
    """Split a det array into per-frame ``(N, 5)`` arrays of ``[x1, y1, x2, y2, score]``.

    Args:
        det: Rows from :func:`read_mot_file` of a det file.
        length: Number of frames; frame ``k`` (1-based) goes to index ``k - 1``.
    """
    frames = det[:, 0].astype(np.int64)
    boxes = np.column_stack([det[:, 2:4], det[:, 2:4] + det[:, 4:6], det[:, 6]])
    order = np.argsort(frames, kind="stable")
    frames, boxes = frames[order], boxes[order]
    bounds = np.searchsorted(frames, np.arange(1, length + 2))
    return [boxes[bounds[k] : bounds[k + 1]] for k in range(length)]


def write_mot_results(path: str | Path, rows: np.ndarray) -> None:
    """Write tracker results as MOTChallenge text.

    Args:
        path: Output file; its folder is created if missing.
        rows: ``(N, 7)`` array of ``[frame, id, left, top, width, height, score]``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    with path.open("w") as handle:
        for frame, track_id, left, top, width, height, score in rows:
            handle.write(
                f"{int(frame)},{int(track_id)},{left:.2f},{top:.2f},{width:.2f},{height:.2f},"
                f"{score:.4f},-1,-1,-1\n"
            )


def val_half_start(length: int) -> int:
    """Offset ``h`` of the MOT17 val-half protocol: keep frames ``h+1..length`` as ``1..``.

    The YOLOX "ablation" detector was trained on the first half of each sequence, so only the
    second half is scored: ``h = length // 2 + 1`` (299 of MOT17-02's 600 frames remain).
    """
    return length // 2 + 1


def shift_frames(rows: np.ndarray, start: int) -> np.ndarray:
    """Keep rows with frame ``> start`` and renumber them ``frame - start`` (column 0)."""
    kept = rows[rows[:, 0] > start].copy()
    kept[:, 0] -= start
    return kept

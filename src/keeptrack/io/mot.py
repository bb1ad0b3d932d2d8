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
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.lib.recfunctions import structured_to_unstructured

from keeptrack.io.files import FrameFlushedText, check_output_path


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


def read_mot_file(
    path: str | Path,
    min_columns: int = 6,
    length: int | None = None,
    track_ids: bool = False,
) -> np.ndarray:
    """Read a MOTChallenge text file into a float64 array, one row per line.

    Lines may be separated by commas or whitespace; blank lines are skipped. Every line must have
    the same number of fields: a short line is a truncated or hand-edited file, and padding it
    would silently score a box that was never written.

    Args:
        path: The file.
        min_columns: Columns every line must have (6 = frame, id and the box).
        length: Sequence length; when given, every frame must be an integer in ``1..length``.
        track_ids: Whether column 1 holds track identities (gt, results) rather than ``-1``
            (det files): they must then be non-negative integers, unique within a frame.

    Returns:
        ``(N, C)`` array; an empty file gives ``(0, max(min_columns, 10))`` (an empty results
        file is valid: the tracker output nothing).

    Raises:
        FileNotFoundError: If the file does not exist.
        MOTFormatError: On a malformed line, naming the file and the line number.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"MOT file not found: {path}")
    try:
        rows = _load_numbers(path)
    except UnicodeDecodeError as error:
        raise MOTFormatError(
            f"{path}: not a text file (byte {error.start} is not UTF-8); MOT files are "
            "comma-separated text"
        ) from None
    if rows.size == 0:
        return np.empty((0, max(min_columns, 10)))
    if rows.shape[1] < min_columns:
        raise MOTFormatError(
            f"{path}:{_line_numbers(path)[0]}: expected at least {min_columns} comma-separated "
            f"fields, got {rows.shape[1]}"
        )
    problem = find_row_problem(rows, length, track_ids)
    if problem is not None:
        lines = _line_numbers(path)
        also = "" if problem.other_row is None else f" (first at line {lines[problem.other_row]})"
        message = problem.message.replace("{also}", also)
        raise MOTFormatError(f"{path}:{lines[problem.row]}: {message}")
    return rows


def _load_numbers(path: Path) -> np.ndarray:
    """Parse a comma-separated file of numbers as fast as numpy allows.

    numpy's C parser converts integers about 7x faster than floats, and most MOTChallenge
    columns (frame, id, flag, class, often the boxes) are integers. So columns whose first
    value looks like an integer are parsed as int64 (exactly the float a float parser would
    give), the rest as float64. If a later line breaks that guess, the file is parsed again as
    floats; anything numpy rejects is re-read line by line for a precise error.
    """
    with path.open() as handle:
        first = next((line for line in handle if line.strip()), "")
    if not first:
        return np.empty((0, 0))
    tokens = first.strip().split(",")
    integer = [t.strip().lstrip("+-").isdigit() for t in tokens]
    dtype = np.dtype([(f"c{i}", np.int64 if z else np.float64) for i, z in enumerate(integer)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
        for attempt in (dtype, np.float64):
            try:
                rows = np.loadtxt(path, delimiter=",", comments=None, dtype=attempt, ndmin=1)
            except (ValueError, OverflowError):
                continue
            if attempt is np.float64:
                return rows.reshape(len(rows), -1)
            # a structured dtype gives a structured array, which loadtxt's stub cannot say
            flat = structured_to_unstructured(rows, dtype=np.float64)  # type: ignore[arg-type]
            return flat.reshape(len(rows), -1)
    return _parse_lines(path)


def _parse_lines(path: Path) -> np.ndarray:
    """Line-by-line parser: slower than ``np.loadtxt`` but names the offending line."""
    rows: list[list[float]] = []
    width = None
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                continue
            fields = text.replace(",", " ").split()
            if width is None:
                width = len(fields)
            elif len(fields) != width:
                raise MOTFormatError(
                    f"{path}:{number}: expected {width} fields like the first line, "
                    f"got {len(fields)}: {text!r}"
                )
            try:
                values = [float(field) for field in fields]
            except ValueError:
                raise MOTFormatError(f"{path}:{number}: non-numeric field in {text!r}") from None
            rows.append(values)
    return np.array(rows, dtype=np.float64) if rows else np.empty((0, 0))


def _line_numbers(path: Path) -> list[int]:
    """1-based line number of each non-blank line, so a row index can be reported as a line."""
    with path.open() as handle:
        return [number for number, line in enumerate(handle, start=1) if line.strip()]


def line_number(path: str | Path, row: int) -> int:
    """1-based line of ``path`` that holds row ``row`` of :func:`read_mot_file`'s array (blank
    lines are skipped when reading, so the two differ)."""
    return _line_numbers(Path(path))[row]


class RowProblem(NamedTuple):
    """An invalid row: its index, what is wrong, and the earlier row it clashes with if any
    (the message then holds ``{also}`` where the caller names that row as a line or row)."""

    row: int
    message: str
    other_row: int | None = None


def find_row_problem(
    rows: np.ndarray, length: int | None = None, track_ids: bool = False
) -> RowProblem | None:
    """The first invalid row of a MOTChallenge array and what is wrong with it.

    Checks run vectorised so validation costs little next to parsing. Shared by file readers
    (which turn the row index into a line number) and by callers that pass arrays directly.

    Args:
        rows: ``(N, C)`` array with frame in column 0 and id in column 1.
        length: Sequence length; frames must be integers in ``1..length``.
        track_ids: Whether ids must be non-negative integers unique within a frame.

    Returns:
        The first problem found (0-based row indices), or None when every row is valid.
    """
    if len(rows) == 0:
        return None
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if len(bad):
        return RowProblem(int(bad[0]), f"NaN or inf in {rows[bad[0]].tolist()}")
    frames = rows[:, 0]
    bad = np.flatnonzero(frames != np.floor(frames))
    if len(bad):
        return RowProblem(int(bad[0]), f"frame {frames[bad[0]]:g} is not an integer")
    if length is not None:
        bad = np.flatnonzero((frames < 1) | (frames > length))
        if len(bad):
            return RowProblem(
                int(bad[0]),
                f"frame {frames[bad[0]]:g} is outside 1..{length} (the sequence length; "
                "MOTChallenge frames are 1-based)",
            )
    if not track_ids:
        return None
    ids = rows[:, 1]
    bad = np.flatnonzero((ids != np.floor(ids)) | (ids < 0))
    if len(bad):
        return RowProblem(
            int(bad[0]),
            f"track id {ids[bad[0]]:g} is not a non-negative integer "
            "(drop unconfirmed tracks, e.g. id -1, before writing results)",
        )
    keys = frames.astype(np.int64) * (int(ids.max()) + 1) + ids.astype(np.int64)
    order = np.argsort(keys, kind="stable")
    repeated = np.flatnonzero(keys[order][1:] == keys[order][:-1])
    if len(repeated):
        # The stable sort keeps equal keys in file order: report the earliest second occurrence.
        k = repeated[np.argmin(order[repeated + 1])]
        first, second = int(order[k]), int(order[k + 1])
        return RowProblem(
            second,
            f"track id {ids[second]:g} appears twice in frame {frames[second]:g}{{also}}; "
            "ids must be unique within a frame",
            first,
        )
    return None


def check_mot_rows(
    rows: np.ndarray,
    source: str,
    length: int | None = None,
    track_ids: bool = False,
    min_columns: int = 6,
) -> np.ndarray:
    """Validate an in-memory MOTChallenge array as :func:`read_mot_file` validates a file.

    Args:
        rows: The array (anything ``np.asarray`` turns into ``(N, C)`` floats).
        source: How to name the array in errors, e.g. ``"results['MOT17-02']"``.
        length: Sequence length; frames must be integers in ``1..length``.
        track_ids: Whether ids must be non-negative integers unique within a frame.
        min_columns: Columns the array must have.

    Returns:
        The rows as a float64 array.

    Raises:
        MOTFormatError: Naming ``source`` and the 1-based row.
    """
    rows = np.asarray(rows, dtype=np.float64)
    if rows.size == 0:
        return np.empty((0, max(min_columns, rows.shape[1] if rows.ndim == 2 else 0, 10)))
    if rows.ndim != 2 or rows.shape[1] < min_columns:
        raise MOTFormatError(
            f"{source}: expected an (N, >={min_columns}) array, got shape {rows.shape}"
        )
    problem = find_row_problem(rows, length, track_ids)
    if problem is not None:
        also = "" if problem.other_row is None else f" (first at row {problem.other_row + 1})"
        message = problem.message.replace("{also}", also)
        raise MOTFormatError(f"{source} row {problem.row + 1}: {message}")
    return rows


def read_mot_tracks(path: str | Path, length: int | None = None) -> np.ndarray:
    """Read rows with track identities: a ``gt.txt`` or tracker results.

    gt: ``frame, id, left, top, width, height, flag, class, visibility``; results:
    ``frame, id, left, top, width, height, score, ...``. Both are read and checked alike: ids
    must be non-negative integers unique per frame, because a duplicated id breaks every
    association metric. The class and flag columns are checked by the evaluator, which knows
    whether the benchmark needs them. An empty file is valid (a tracker that reported
    nothing: every GT box is a miss).
    """
    return read_mot_file(path, min_columns=6, length=length, track_ids=True)


def read_mot_detections(path: str | Path, length: int | None = None) -> np.ndarray:
    """Read a det file: ``frame, -1, left, top, width, height, score, ...``."""
    return read_mot_file(path, min_columns=7, length=length)


def read_seqmap(path: str | Path) -> list[str]:
    """Sequence names of a TrackEval seqmap: a ``name`` header line, then one name a line.

    Raises:
        FileNotFoundError: If the file does not exist.
        MOTFormatError: If it lists no sequence.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"seqmap not found: {path}")
    names = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        name = line.split(",")[0].strip()
        if number == 1 and name.lower() == "name":
            continue
        if name:
            names.append(name)
    if not names:
        raise MOTFormatError(f"{path}: the seqmap lists no sequence")
    return names


def find_sequences(root: str | Path) -> list[str]:
    """Names of the sequence folders under ``root`` that hold a ``gt/gt.txt``, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"folder not found: {root}")
    return sorted(p.name for p in root.iterdir() if (p / "gt" / "gt.txt").is_file())


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
    path.write_text(format_mot_results(rows))


def format_mot_results(rows: np.ndarray) -> str:
    """MOTChallenge result lines (``\\n``-terminated) for ``(N, 7)`` rows of
    ``[frame, id, left, top, width, height, score]``."""
    rows = np.asarray(rows, dtype=np.float64).reshape(-1, 7)
    return "".join(
        f"{int(frame)},{int(track_id)},{left:.2f},{top:.2f},{width:.2f},{height:.2f},"
        f"{score:.4f},-1,-1,-1\n"
        for frame, track_id, left, top, width, height, score in rows
    )


class MOTResultsWriter:
    """Writes results frame by frame, flushing each frame, so a crash or Ctrl-C in a long
    video loses nothing already tracked (:func:`write_mot_results` needs every row first).

    A write that fails (disk full) raises :class:`~keeptrack.io.files.OutputError` after
    cutting the file back to the last complete frame, so it always parses.

    Args:
        path: Output file; its folder is created if missing.
        option: The command-line option that named it, for messages.
    """

    def __init__(self, path: str | Path, option: str = "--mot-output") -> None:
        self.path = check_output_path(path, option)
        self._file = FrameFlushedText(self.path, option)

    def write(self, rows: np.ndarray) -> None:
        """Append ``(N, 7)`` rows ``[frame, id, left, top, width, height, score]``."""
        self._file.write(format_mot_results(rows))

    def close(self) -> None:
        """Close the file (safe to call twice)."""
        self._file.close()

    def __enter__(self) -> MOTResultsWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


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

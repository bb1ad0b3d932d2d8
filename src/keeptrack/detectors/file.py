"""Detections read from a MOTChallenge det file instead of computed from pixels.

Public detections are how MOTChallenge compares trackers fairly, and they make the whole
pipeline (annotated video, results, metrics) runnable without any model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import supervision as sv

from keeptrack.detectors.base import DetectorError, empty_detections
from keeptrack.io.mot import MOTFormatError, line_number, read_mot_file

#: MOTChallenge det files hold pedestrians; they are reported as COCO's ``person``.
PERSON = {1: "person"}

#: What to do with scores outside ``[0, 1]`` (``keeptrack track --det-scores``).
SCORE_POLICIES = ("reject", "minmax", "clip")

#: How far a score may stray outside ``[0, 1]`` before it counts as out of range (rounding).
_TOLERANCE = 1e-6


class FileDetector:
    """Replays ``frame,-1,left,top,width,height,score`` rows, one frame per :meth:`detect` call.

    The file knows frame numbers, the frame image does not, so this detector counts calls:
    the ``k``-th call returns the rows of frame ``k`` (1-based), matching a source that starts
    at the sequence's first frame.

    Every row is checked when the file is opened, so a bad row is reported with the file and
    line before any frame is tracked: malformed or truncated lines, frames that are not
    positive integers, negative widths or heights.

    Scores outside ``[0, 1]`` (MOT15's ACF detections are unbounded classifier margins, -0.72
    to 139) are refused by default: trackers' thresholds assume probabilities, and no mapping
    suits every tracker (on PETS09-S2L1, min-max scaling gives ByteTrack HOTA 24.4 and SORT
    42.9, clipping gives 38.9 and 31.7). The error says so, and ``scores`` makes the choice:

    - ``"minmax"``: ``(s - min) / (max - min)`` over the whole file (keeps the order of boxes);
    - ``"clip"``: scores below 0 become 0, above 1 become 1 (most ACF boxes then score 1).

    Args:
        path: The det file.
        scores: ``"reject"`` (default), ``"minmax"`` or ``"clip"``; applies only when some
            score lies outside ``[0, 1]``.
    """

    class_names = PERSON

    def __init__(self, path: str | Path, scores: str = "reject") -> None:
        if scores not in SCORE_POLICIES:
            raise DetectorError(f"scores must be one of {SCORE_POLICIES}; got {scores!r}")
        path = Path(path)
        if not path.is_file():
            raise DetectorError(f"detections file not found: {path}")
        try:
            rows = read_mot_file(path)
        except MOTFormatError as error:
            raise DetectorError(str(error)) from None
        if rows.shape[1] < 7:  # no score column: every box is certain
            rows = np.column_stack([rows, np.ones(len(rows))])
        _check_rows(rows, path)
        self.score_note = _apply_score_policy(rows, path, scores)
        rows = rows[np.argsort(rows[:, 0], kind="stable")]
        self._frames = rows[:, 0].astype(np.int64)
        self._rows = rows
        self._index = 0

    def detect(self, frame: np.ndarray | None = None) -> sv.Detections:
        """Rows of the next frame (``frame`` is not looked at)."""
        self._index += 1
        lo, hi = np.searchsorted(self._frames, [self._index, self._index + 1])
        if lo == hi:
            return empty_detections()
        rows = self._rows[lo:hi]
        xyxy = np.column_stack([rows[:, 2:4], rows[:, 2:4] + rows[:, 4:6]])
        score = rows[:, 6]
        return sv.Detections(
            xyxy=xyxy.astype(np.float32),
            confidence=score.astype(np.float32),
            class_id=np.ones(len(rows), dtype=int),
            data={"class_name": np.full(len(rows), "person", dtype=object)},
        )


def _check_rows(rows: np.ndarray, path: Path) -> None:
    """Frames must be 1-based and boxes must not be inverted; report the first bad line."""
    checks = (
        (rows[:, 0] < 1, "frame {v:g} is not a positive frame number (MOT frames are 1-based)", 0),
        (rows[:, 4] < 0, "negative width {v:g} (boxes are left, top, width, height)", 4),
        (rows[:, 5] < 0, "negative height {v:g} (boxes are left, top, width, height)", 5),
    )
    for bad, message, column in checks:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            text = message.format(v=rows[row, column])
            raise DetectorError(f"{path}:{line_number(path, row)}: {text}")


def _apply_score_policy(rows: np.ndarray, path: Path, policy: str) -> str | None:
    """Rescale or clip scores outside ``[0, 1]`` in place as ``policy`` says, or refuse them.

    Returns:
        A one-line note of what was done (for the command line to print), or ``None`` when
        every score was in range.
    """
    scores = rows[:, 6]
    if not len(rows) or (scores.min() >= -_TOLERANCE and scores.max() <= 1 + _TOLERANCE):
        return None
    low, high = float(scores.min()), float(scores.max())
    worst = int(np.argmax(np.maximum(scores - 1, -scores)))
    found = f"{path}: scores run from {low:g} to {high:g}, outside [0, 1]"
    if policy == "reject":
        raise DetectorError(
            f"{found} (line {line_number(path, worst)} has {scores[worst]:g}); trackers' "
            "thresholds expect probabilities and no rescaling suits every tracker: choose "
            "--det-scores minmax (rescale over the file) or --det-scores clip"
        )
    if policy == "minmax":
        rows[:, 6] = (scores - low) / max(high - low, 1e-12)
        return f"{found}; rescaled min-max to [0, 1] over the file (--det-scores minmax)"
    rows[:, 6] = np.clip(scores, 0.0, 1.0)
    return f"{found}; clipped to [0, 1] (--det-scores clip)"

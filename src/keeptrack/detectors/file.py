"""Detections read from a MOTChallenge det file instead of computed from pixels.

Public detections are how MOTChallenge compares trackers fairly, and they make the whole
pipeline (annotated video, results, metrics) runnable without any model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import supervision as sv

from keeptrack.detectors.base import DetectorError, empty_detections
from keeptrack.io.mot import MOTFormatError, read_mot_file

#: MOTChallenge det files hold pedestrians; they are reported as COCO's ``person``.
PERSON = {1: "person"}


class FileDetector:
    """Replays ``frame,-1,left,top,width,height,score`` rows, one frame per :meth:`detect` call.

    The file knows frame numbers, the frame image does not, so this detector counts calls:
    the ``k``-th call returns the rows of frame ``k`` (1-based), matching a source that starts
    at the sequence's first frame.

    Scores outside ``[0, 1]`` (MOT15's ACF detections are unbounded classifier margins) are
    min-max scaled over the whole file into ``[0, 1]``: the order of boxes is kept and the
    trackers' thresholds, which assume probabilities, stay meaningful.

    Args:
        path: The det file.
    """

    class_names = PERSON

    def __init__(self, path: str | Path) -> None:
        path = Path(path)
        if not path.is_file():
            raise DetectorError(f"detections file not found: {path}")
        try:
            rows = read_mot_file(path)
        except MOTFormatError as error:
            raise DetectorError(str(error)) from None
        if rows.shape[1] < 7:  # no score column: every box is certain
            rows = np.column_stack([rows, np.ones(len(rows))])
        rows = rows[np.argsort(rows[:, 0], kind="stable")]
        scores = rows[:, 6]
        if len(rows) and (scores.min() < 0.0 or scores.max() > 1.0):
            span = max(float(scores.max() - scores.min()), 1e-12)
            rows[:, 6] = (scores - scores.min()) / span
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

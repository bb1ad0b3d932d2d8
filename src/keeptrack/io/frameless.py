"""MOTChallenge sequences without images, tracked from their detection files alone.

Public MOTChallenge detections are often shipped without the frames (the shared MOT17 data has
none). With ``--detector file`` nothing needs pixels, so such a sequence folder is a source of
``None`` frames: the tracker runs as in ``keeptrack bench`` (trackers that would use pixels for
camera motion fall back to their frame-free estimate) and MOT / JSON results are written; an
annotated video cannot be.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from keeptrack.io.mot import read_seqinfo
from keeptrack.io.sources import FrameSource, SourceError, open_source


class FramelessSequence(FrameSource):
    """``seqLength`` frames of ``None`` at the sequence's ``frameRate``."""

    def __iter__(self) -> Iterator[None]:  # type: ignore[override]  # no pixels, by design
        for _ in range(self.length or 0):
            yield None


def has_images(folder: Path) -> bool:
    """Whether a MOTChallenge sequence folder holds its image folder."""
    return (folder / read_seqinfo(folder).image_dir).is_dir()


def open_tracking_source(spec: str | Path, fps: float | None, detector: str) -> FrameSource:
    """:func:`keeptrack.io.sources.open_source`, except that a sequence folder without images is
    a :class:`FramelessSequence` when ``detector`` is ``"file"``.

    Raises:
        SourceError: When the source does not exist or cannot be opened.
    """
    path = Path(str(spec)).expanduser()
    if detector == "file" and (path / "seqinfo.ini").is_file() and not has_images(path):
        if fps is not None and not fps > 0:
            raise SourceError(f"fps must be positive; got {fps}")
        info = read_seqinfo(path)
        size = (info.width or 0, info.height or 0)
        return FramelessSequence(info.name, fps or info.frame_rate, info.length, size)
    return open_source(spec, fps)

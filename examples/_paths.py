"""Where the examples find the evaluation data: ``$KEEPTRACK_DATA``, else ``../shared/data``
beside the repository (the data is read in place, never copied)."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """The root of the shared evaluation data."""
    return Path(os.environ.get("KEEPTRACK_DATA", REPO_ROOT.parent / "shared" / "data"))


def pets09_video() -> Path:
    """PETS09-S2L1 as a video (recorded at 7 frames/s; the container claims 10)."""
    return data_dir() / "mot15-train" / "PETS09-S2L1" / "video" / "vtest.avi"

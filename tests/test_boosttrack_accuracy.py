"""BoostTrack accuracy floors on both data sets, with defaults, motion only.

MOT17-10 (a walking camera, val half, ByteTrack's output filter as benchmarks/accuracy.py
scores it) and one dancetrack-dev sequence keep this fast; floors sit a little under what
``benchmarks/accuracy.py --per-sequence`` measured (BENCHMARKS.md). The ablation checks that
the paper's DLO boost is what lifts MOT17-10, where occluded walkers are detected weakly.
"""

from __future__ import annotations

from conftest import sequences_hota

from keeptrack import BoostTrackTracker


def test_mot17_val_half_floor(mot17_dir):
    """58.5 measured."""
    folders = [mot17_dir / "MOT17-10-FRCNN"]
    assert sequences_hota(BoostTrackTracker, folders, "val-half", True) >= 0.575


def test_dancetrack_floor(data_dir):
    """63.1 measured."""
    folders = [data_dir / "dancetrack-dev" / "dancetrack0077"]
    assert sequences_hota(BoostTrackTracker, folders, "all", False) >= 0.62


def test_dlo_boost_lifts_weak_detections(mot17_dir):
    """Without DLO, weak boxes of tracked walkers go unused (58.5 -> 56.6 measured)."""
    folders = [mot17_dir / "MOT17-10-FRCNN"]
    without = sequences_hota(BoostTrackTracker, folders, "val-half", True, dlo_boost=False)
    assert sequences_hota(BoostTrackTracker, folders, "val-half", True) >= without + 0.01

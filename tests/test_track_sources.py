"""Frame sources: video files, image folders, MOTChallenge folders, and how they fail."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from keeptrack.io.sources import SourceError, TruncatedSourceError, open_source
from keeptrack.synthetic import SyntheticScene


def write_video(path: Path, frames: int, size: tuple[int, int] = (160, 120)) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 12, size)
    rng = np.random.default_rng(0)
    for _ in range(frames):
        writer.write(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8))
    writer.release()


def test_video_file_rate_length_and_override(mot15_dir):
    video = mot15_dir / "PETS09-S2L1" / "video" / "vtest.avi"
    with open_source(video) as source:
        assert (source.fps, source.length, source.size, source.live) == (
            10.0,
            795,
            (768, 576),
            False,
        )
        first = next(iter(source))
        assert first.shape == (576, 768, 3)
    assert open_source(video, fps=7).fps == 7


def test_truncated_video_yields_good_frames_then_names_the_frame(tmp_path):
    video = tmp_path / "clip.avi"
    write_video(video, 40)
    data = video.read_bytes()
    broken = tmp_path / "broken.avi"
    broken.write_bytes(data[: len(data) // 2])
    source = open_source(broken)
    frames = []
    with pytest.raises(TruncatedSourceError) as info:
        frames.extend(source)
    assert 0 < len(frames) < 40
    assert info.value.frame_index == len(frames) + 1
    assert f"frame {len(frames) + 1}" in str(info.value)


def test_image_folder_is_naturally_sorted(tmp_path):
    for k in (10, 2, 1):
        cv2.imwrite(str(tmp_path / f"{k}.png"), np.full((8, 12, 3), k, np.uint8))
    source = open_source(tmp_path, fps=5)
    assert (source.length, source.size, source.fps) == (3, (12, 8), 5)
    assert [int(f[0, 0, 0]) for f in source] == [1, 2, 10]


def test_mot_sequence_folder_uses_seqinfo(mot15_dir):
    source = open_source(mot15_dir / "TUD-Campus")
    assert (source.name, source.fps, source.length, source.size) == (
        "TUD-Campus",
        25,
        71,
        (640, 480),
    )


def test_unreadable_image_stops_with_its_index(tmp_path):
    cv2.imwrite(str(tmp_path / "1.png"), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "2.png").write_bytes(b"not an image")
    source = open_source(tmp_path)
    with pytest.raises(TruncatedSourceError) as info:
        list(source)
    assert info.value.frame_index == 2


@pytest.mark.parametrize(
    ("spec", "message"),
    [("missing.mp4", "source not found"), ("57", "no webcam at index 57")],
)
def test_missing_sources_fail_clearly(tmp_path, spec, message):
    with pytest.raises(SourceError, match=message):
        open_source(tmp_path / spec if not spec.isdigit() else spec)


def test_garbage_file_is_not_a_video(tmp_path):
    path = tmp_path / "garbage.mp4"
    path.write_bytes(b"\x00" * 2048)
    with pytest.raises(SourceError):
        list(open_source(path))


def test_synthetic_scene_ground_truth_is_consistent():
    scene = SyntheticScene(length=60)
    gt = scene.ground_truth()
    assert gt.shape[1] == 9 and set(np.unique(gt[:, 0])) <= set(range(1, 61))
    # no object in the first frames: a background model can learn the empty street
    assert gt[:, 0].min() > 1
    # boxes stay inside the frame and visibility is a fraction
    assert (gt[:, 2] >= 0).all() and (gt[:, 2] + gt[:, 4] <= 640 + 1e-9).all()
    assert ((gt[:, 8] >= 0) & (gt[:, 8] <= 1)).all()
    # rendering is deterministic
    assert np.array_equal(scene.render(30), SyntheticScene(length=60).render(30))
    assert scene.render(30).shape == (360, 640, 3)


def test_pyav_reads_the_same_video(mot15_dir):
    pytest.importorskip("av")
    from keeptrack.io.sources import PyAVSource

    video = mot15_dir / "PETS09-S2L1" / "video" / "vtest.avi"
    source = PyAVSource(video, fps=7)
    assert (source.fps, source.size) == (7, (768, 576))
    frame = next(iter(source))
    reference = next(iter(open_source(video)))
    assert frame.shape == reference.shape
    assert np.abs(frame.astype(int) - reference.astype(int)).mean() < 3
    source.close()

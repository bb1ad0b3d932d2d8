"""``keeptrack track`` under faults: bad det files, corrupt videos, full disks, read-only
folders, signals, missing webcams, no outputs. Each ends with one line and an exit code, and
what was written so far stays valid (issue 14)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from keeptrack.cli.main import app
from keeptrack.io import files
from keeptrack.io.mot import read_mot_file
from keeptrack.synthetic import SyntheticScene

CLI = [sys.executable, "-c", "from keeptrack.cli.main import app; app()"]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def video_frames(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """A 40-frame Motion-JPEG AVI of the synthetic scene."""
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    scene = SyntheticScene(length=40)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15, scene.size)
    for frame in scene:
        writer.write(frame)
    writer.release()
    return path


# --- det files ---------------------------------------------------------------------------------
GOOD_LINES = ["1,-1,10,20,30,40,0.9,-1,-1,-1", "2,-1,12,20,30,40,0.8,-1,-1,-1"]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("5,-1,10,20,-30,40,0.9,-1,-1,-1", ":3: negative width -30"),
        ("5,-1,10,20,30,-4,0.9,-1,-1,-1", ":3: negative height -4"),
        ("0,-1,10,20,30,40,0.9,-1,-1,-1", ":3: frame 0 is not a positive frame number"),
        ("5,-1,10,20,3x,40,0.9,-1,-1,-1", ":3: non-numeric field"),
        ("5,-1,10,20", ":3: expected 10 fields like the first line, got 4"),  # truncated
        ("5,-1,10,nan,30,40,0.9,-1,-1,-1", ":3: NaN or inf"),
    ],
)
def test_bad_det_line_is_reported_with_file_and_line(mot15_dir, tmp_path, bad_line, message):
    det = tmp_path / "det.txt"
    det.write_text("\n".join([*GOOD_LINES, bad_line]) + "\n")
    seq = mot15_dir / "TUD-Campus"
    result = run("track", "-s", seq, "-d", "file", "--detections", det, "--mot-output", "r.txt")
    assert result.exit_code == 1
    assert error_lines(result.output) == [line for line in result.output.splitlines() if line]
    assert f"{det}{message}" in result.output.replace("\n", "")
    assert "Traceback" not in result.output


def test_binary_det_file_is_named_as_not_text(mot15_dir, tmp_path):
    det = tmp_path / "det.txt"
    det.write_bytes(bytes(range(256)) * 4)
    result = run("track", "-s", mot15_dir / "TUD-Campus", "-d", "file", "--detections", det)
    assert result.exit_code == 1 and "not a text file" in result.output


def test_unbounded_det_scores_need_a_choice(mot15_dir, tmp_path):
    seq = mot15_dir / "PETS09-S2L1"
    det = seq / "det/det.txt"  # ACF: -0.478 to 138.9
    args = ["track", "-s", seq / "video/vtest.avi", "-d", "file", "--detections", det]
    refused = run(*args)
    assert refused.exit_code == 1
    assert "scores run from -0.47763 to 138.92" in refused.output
    assert "--det-scores minmax" in refused.output and "--det-scores clip" in refused.output
    res = tmp_path / "r.txt"
    rescaled = run(*args, "--det-scores", "minmax", "--max-frames", 5, "--mot-output", res)
    assert rescaled.exit_code == 0, rescaled.output
    assert "rescaled min-max to [0, 1]" in rescaled.output.replace("\n", " ")
    assert read_mot_file(res)[:, 6].max() <= 1.0


# --- sources -----------------------------------------------------------------------------------
def test_corrupt_video_keeps_outputs_and_names_the_frame(clip, tmp_path):
    data = bytearray(clip.read_bytes())
    start, size = len(data) // 2, len(data) // 5
    data[start : start + size] = np.random.default_rng(0).integers(0, 256, size, np.uint8).tobytes()
    broken = tmp_path / "corrupt.avi"
    broken.write_bytes(bytes(data))
    out, res = tmp_path / "out.mp4", tmp_path / "res.txt"
    result = run("track", "-s", broken, "-d", "motion", "-o", out, "--mot-output", res)
    assert result.exit_code == 1
    assert "is truncated or corrupt" in result.output
    read = int(result.output.split("outputs hold the ")[1].split()[0])
    assert 0 < read < 40
    assert video_frames(out) == read
    assert read_mot_file(res)[:, 0].max() <= read


@pytest.mark.parametrize("content", [b"", bytes(range(256)) * 400])
def test_unreadable_video_is_one_line(tmp_path, content):
    video = tmp_path / "video.mp4"
    video.write_bytes(content)
    result = run("track", "-s", video, "-d", "motion", "-o", tmp_path / "out.mp4")
    assert result.exit_code == 1
    assert error_lines(result.output) == [f"error: cannot open video file {video}: Invalid data "
                                          "found when processing input"]  # fmt: skip
    assert not (tmp_path / "out.mp4").exists()


def test_missing_webcam_is_one_line_without_library_noise():
    done = subprocess.run(
        [*CLI, "track", "--source", "57", "--detector", "motion"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == "error: no webcam at index 57 (is a camera connected and free?)"


def test_no_outputs_says_so_and_suggests_output(mot15_dir):
    result = run("track", "-s", mot15_dir / "TUD-Campus", "-d", "motion", "--max-frames", 2)
    assert result.exit_code == 0
    text = result.output.replace("\n", " ")
    assert "nothing will be saved" in text and "--output out.mp4" in text


# --- outputs -----------------------------------------------------------------------------------
def test_disk_full_on_text_outputs(mot15_dir, tmp_path):
    """``/dev/full`` answers every write with ENOSPC: the run stops at once with one line, and
    the video written alongside is finalised."""
    seq = mot15_dir / "TUD-Campus"
    for option in ("--mot-output", "--json-output"):
        full = tmp_path / f"full{option}.txt"
        full.symlink_to("/dev/full")
        out = tmp_path / f"video{option}.mp4"
        result = run("track", "-s", seq, "-d", "motion", "-o", out, option, full)
        assert result.exit_code == 1, result.output
        [line] = error_lines(result.output.replace("\n", " ").replace(" error:", "\nerror:"))
        assert f"{option}: cannot write {full} (No space left on device)" in line
        frames = int(line.split("stopped after ")[1].split()[0])
        assert frames < 71
        # Finalised; it plays up to the failed frame, which the video got before the text.
        assert video_frames(out) == frames + 1


def test_disk_full_mid_run_keeps_every_whole_frame(mot15_dir, tmp_path, monkeypatch):
    """ENOSPC after a partial write, simulated (a real full disk cannot be made to fill at a
    chosen frame without root): the file is cut back to the last complete frame."""
    real_open = files.open_for_writing

    class FillsUp:
        def __init__(self, handle, limit):
            self.handle, self.limit = handle, limit

        def write(self, text):
            room = self.limit - self.handle.tell()
            if len(text) > room:
                self.handle.write(text[: max(room, 0)])
                self.handle.flush()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return self.handle.write(text)

        def __getattr__(self, name):
            return getattr(self.handle, name)

    monkeypatch.setattr(files, "open_for_writing", lambda p, o: FillsUp(real_open(p, o), 3000))
    res = tmp_path / "res.txt"
    seq = mot15_dir / "TUD-Campus"
    det = seq / "det/det_frcnn_sort.txt"
    result = run("track", "-s", seq, "-d", "file", "--detections", det, "--mot-output", res)
    assert result.exit_code == 1
    assert "No space left on device" in result.output
    frames = int(result.output.split("stopped after ")[1].split()[0])
    rows = read_mot_file(res)  # parses: no half line at the end
    assert 0 < rows[:, 0].max() <= frames < 71
    assert res.read_text().endswith("-1,-1,-1\n")


def test_video_stops_before_the_disk_is_full(clip, tmp_path, monkeypatch):
    free = iter([10 << 20] * 12 + [1 << 10] * 100)
    monkeypatch.setattr("keeptrack.io.sinks._free_bytes", lambda path: next(free))
    out, res = tmp_path / "out.mp4", tmp_path / "res.txt"
    result = run("track", "-s", clip, "-d", "motion", "-o", out, "--mot-output", res)
    assert result.exit_code == 1
    assert f"--output: disk full writing {out}" in result.output.replace("\n", "")
    assert video_frames(out) == 12  # finalised: every frame before the full disk plays
    assert read_mot_file(res)[:, 0].max() <= 12


def read_only_folder(tmp_path) -> Path:
    """A folder this process cannot write: permissions, or for root a read-only tmpfs."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return folder
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=16k", "tmpfs", folder])
    if mounted.returncode != 0:
        pytest.skip("running as root without permission to mount a read-only tmpfs")
    return folder


def test_read_only_output_folder_fails_before_work(mot15_dir, tmp_path):
    folder = read_only_folder(tmp_path)
    try:
        for option, name in (
            ("--output", "x.mp4"),
            ("--mot-output", "x.txt"),
            ("--json-output", "j"),
        ):
            result = run("track", "-s", mot15_dir / "TUD-Campus", "-d", "motion", option,
                         folder / name)  # fmt: skip
            assert result.exit_code == 1, option
            assert error_lines(result.output) == [
                f"error: {option}: folder {folder} is not writable"
            ]
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", folder])


# --- signals -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("signum", "code", "said"), [
    (signal.SIGTERM, 143, "terminated by SIGTERM"),
    (signal.SIGINT, 130, "interrupted"),
])  # fmt: skip
def test_signal_finalises_outputs(mot15_dir, tmp_path, signum, code, said):
    video = mot15_dir / "PETS09-S2L1/video/vtest.avi"
    out, res, lines = tmp_path / "out.mp4", tmp_path / "res.txt", tmp_path / "res.jsonl"
    command = [*CLI, "track", "-s", video, "-d", "motion", "-o", out]
    command += [
        "--mot-output",
        res,
        "--json-output",
        lines,
        "--tracker.minimum_consecutive_frames",
        "1",
    ]
    process = subprocess.Popen([str(c) for c in command], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if lines.exists() and len(lines.read_text().splitlines()) >= 10:
            break
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == code, stderr
    frames = int(stderr.split(f"{said} after ")[1].split()[0])
    assert f"{said} after {frames} frames; outputs saved" in stderr
    assert "Traceback" not in stderr
    assert 10 <= frames < 795
    # Every output holds frames 1..N; the frame being written when the signal came may have
    # reached the outputs written before the others (video, then MOT, then JSON).
    assert frames <= video_frames(out) <= frames + 1
    assert len(lines.read_text().splitlines()) == frames
    assert read_mot_file(res)[:, 0].max() <= frames + 1


def test_video_on_a_tiny_tmpfs_is_finalised_before_the_disk_fills(mot15_dir, tmp_path):
    """A real full disk: a 1.3 MiB tmpfs (needs root; skipped where it cannot be mounted)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if (
        os.geteuid() != 0
        or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1300k", "tmpfs", folder], capture_output=True
        ).returncode
    ):
        pytest.skip("cannot mount a tmpfs here")
    try:
        out, res = folder / "out.avi", folder / "res.txt"
        result = run("track", "-s", mot15_dir / "TUD-Campus", "-d", "motion", "-o", out,
                     "--mot-output", res)  # fmt: skip
        assert result.exit_code == 1
        text = result.output.replace("\n", "")
        assert f"--output: disk full writing {out}" in text
        frames = int(text.split("it holds the ")[1].split()[0])
        assert 0 < frames < 71 and video_frames(out) == frames
        assert read_mot_file(res)[:, 0].max() <= frames
    finally:
        subprocess.run(["umount", folder])

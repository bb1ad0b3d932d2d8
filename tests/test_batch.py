"""Batch tracking (``keeptrack track`` with many sources, :func:`keeptrack.batch.track_many`)
and parallel ``bench`` / ``eval``: outputs identical to single runs on every executor, a failing
source reported without stopping the others, ``--resume``, and the source expansion rules."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from keeptrack.batch import DetectorSettings, expand_sources, output_names, track_many
from keeptrack.cli.main import app

SHORT = ("MOT17-05-FRCNN", "MOT17-09-FRCNN")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def sequences(mot17_dir: Path, tmp_path: Path) -> Path:
    """Two MOT17 sequences (detections, no images) in a folder of their own."""
    folder = tmp_path / "seqs"
    folder.mkdir()
    for name in SHORT:
        (folder / name).symlink_to(mot17_dir / name)
    return folder


@pytest.fixture
def videos(mot15_dir: Path, tmp_path: Path) -> Path:
    """Two 'cameras' that are the PETS09-S2L1 video (links, nothing copied)."""
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("cam1.avi", "cam2.avi"):
        (folder / name).symlink_to(mot15_dir / "PETS09-S2L1" / "video" / "vtest.avi")
    return folder


def single_run(source: Path, out: Path, *extra) -> bytes:
    result = run("track", "--source", source, "--mot-output", out, *extra)
    assert result.exit_code == 0, result.output
    return out.read_bytes()


def test_pool_outputs_equal_single_runs_with_the_built_in_detector(videos, tmp_path):
    out = tmp_path / "batch"
    result = run("track", "-s", videos, "-t", "sort", "--max-frames", 8, "--output-dir", out,
                 "--workers", 2)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "cam1" in result.output and "cam2" in result.output
    summary = json.loads((out / "batch.json").read_text())
    assert [s["status"] for s in summary] == ["done", "done"]
    assert len({s["worker"] for s in summary}) == 2  # really two processes
    alone = single_run(videos / "cam1.avi", tmp_path / "alone.txt", "-t", "sort",
                       "--max-frames", 8)  # fmt: skip
    assert len(alone.splitlines()) > 20
    assert (out / "cam1.txt").read_bytes() == alone == (out / "cam2.txt").read_bytes()
    assert (out / "cam1.jsonl").is_file() and not list(out.glob("*.partial.*"))


def test_pool_matches_single_runs_and_a_failing_source_stops_nothing(sequences, tmp_path):
    broken = tmp_path / "broken.avi"
    broken.write_text("not a video")
    out = tmp_path / "out"
    result = run("track", "-s", sequences, "-s", broken, "-s", tmp_path / "gone.mp4",
                 "-d", "file", "--output-dir", out, "--workers", 2)  # fmt: skip
    assert result.exit_code == 1
    assert "2 done, 0 skipped, 2 failed" in result.output
    summary = {s["name"]: s for s in json.loads((out / "batch.json").read_text())}
    assert summary["broken"]["status"] == "failed" and "broken.avi" in summary["broken"]["error"]
    assert summary["gone"]["status"] == "failed" and "not found" in summary["gone"]["error"]
    assert [summary[n]["frames"] for n in SHORT] == [837, 525]
    written = [f"{n}{ext}" for n in SHORT for ext in (".txt", ".jsonl")]
    assert sorted(p.name for p in out.iterdir()) == sorted(["batch.json", *written])
    for name in SHORT:
        alone = single_run(sequences / name, tmp_path / f"{name}.txt", "-d", "file",
                           "--detections", sequences / name / "det" / "det.txt")  # fmt: skip
        assert (out / f"{name}.txt").read_bytes() == alone


def test_ray_local_mode_matches_single_runs(sequences, tmp_path):
    ray = pytest.importorskip("ray")
    from keeptrack.batch import DetectorSettings

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        results = track_many([sequences], tmp_path / "ray", tracker="sort", executor="ray",
                             detector=DetectorSettings(name="file"), save=("mot",))  # fmt: skip
    finally:
        ray.shutdown()
    assert [r.status for r in results] == ["done", "done"]
    for name in SHORT:
        det = sequences / name / "det" / "det.txt"
        alone = single_run(sequences / name, tmp_path / f"{name}.txt", "-d", "file", "-t",
                           "sort", "--detections", det)  # fmt: skip
        assert (tmp_path / "ray" / f"{name}.txt").read_bytes() == alone


def test_resume_skips_complete_sources_only(sequences, tmp_path):
    out = tmp_path / "out"
    args = ["track", "-s", sequences, "-d", "file", "-t", "sort", "--output-dir", out,
            "--workers", 1]  # fmt: skip
    assert run(*args).exit_code == 0
    first = (out / f"{SHORT[0]}.txt").read_bytes()
    (out / f"{SHORT[1]}.jsonl").unlink()  # one output of the second source lost
    (out / f"{SHORT[1]}.partial.txt").write_text("left by a killed run")
    result = run(*args, "--resume")
    assert result.exit_code == 0, result.output
    summary = {s["name"]: s["status"] for s in json.loads((out / "batch.json").read_text())}
    assert summary == {SHORT[0]: "skipped", SHORT[1]: "done"}
    assert (out / f"{SHORT[0]}.txt").read_bytes() == first
    assert (out / f"{SHORT[1]}.jsonl").is_file()


def test_sources_expand_from_folders_globs_and_lists(sequences, videos, tmp_path):
    listing = tmp_path / "sources.txt"
    listing.write_text(f"# cameras\nvideos/cam2.avi\n\n{sequences / SHORT[0]}\nrtsp://cam/7\n")
    assert expand_sources([videos]) == [str(videos / "cam1.avi"), str(videos / "cam2.avi")]
    assert expand_sources([str(videos / "cam*.avi")]) == expand_sources([videos])
    assert expand_sources([sequences]) == [str(sequences / n) for n in SHORT]
    assert expand_sources([listing, videos / "cam2.avi"]) == [
        str(tmp_path / "videos" / "cam2.avi"),
        str(sequences / SHORT[0]),
        "rtsp://cam/7",
    ]
    assert output_names(["a/cam.mp4", "b/cam.mp4", "rtsp://host/live", "0"]) == [
        "cam", "cam-2", "host_live", "webcam0",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="matches nothing"):
        expand_sources([str(tmp_path / "*.mkv")])


def test_several_sources_need_an_output_dir(videos):
    result = run("track", "-s", videos, "-t", "sort")
    assert result.exit_code == 1 and "--output-dir" in result.output


def test_parallel_bench_and_eval_give_the_serial_numbers(sequences, tmp_path):
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    common = ["bench", "--data", sequences, "--trackers", "sort", "--frames", "val-half"]
    assert run(*common, "--output-dir", serial).exit_code == 0
    result = run(*common, "--output-dir", parallel, "--workers", 2)
    assert result.exit_code == 0, result.output
    a = json.loads((serial / "bench.json").read_text())
    b = json.loads((parallel / "bench.json").read_text())
    assert [r["sequences"] for r in a] == [r["sequences"] for r in b]
    assert a[0]["HOTA"] > 0.6
    for name in SHORT:
        assert (serial / "sort" / f"{name}.txt").read_bytes() == (
            parallel / "sort" / f"{name}.txt"
        ).read_bytes()
    scores = []
    for workers in (1, 2):
        out = tmp_path / f"eval{workers}"
        result = run("eval", "--gt-dir", sequences, "--results-dir", serial / "sort",
                     "--frames", "val-half", "--output-dir", out, "--workers", workers)  # fmt: skip
        assert result.exit_code == 0, result.output
        scores.append((out / "metrics.json").read_text())
    assert scores[0] == scores[1]


def test_ctrl_c_in_a_job_run_here_stops_the_batch(sequences, tmp_path, monkeypatch):
    """With one worker the jobs run in this process: Ctrl-C inside one must end the batch, not
    just fail that source and go on to the next."""
    import keeptrack.detectors as detectors

    real = detectors.create_detector

    class Interrupting:
        def __init__(self, *args, **kwargs):
            self.inner, self.calls = real(*args, **kwargs), 0
            self.class_names = self.inner.class_names

        def detect(self, frame):
            self.calls += 1
            if self.calls == 20:
                raise KeyboardInterrupt
            return self.inner.detect(frame)

    monkeypatch.setattr(detectors, "create_detector", Interrupting)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        track_many([sequences], out, "sort", {}, DetectorSettings("file"), ("mot",), workers=1)
    assert not list(out.glob("*"))  # neither source's files: the second never started


def test_sigterm_stops_running_sources_at_once_and_leaves_no_partial_files(videos, tmp_path):
    out = tmp_path / "out"
    cli = [sys.executable, "-c", "from keeptrack.cli.main import app; app()"]
    command = [*cli, "track", "-s", str(videos), "-t", "sort", "--output-dir", str(out),
               "--workers", "2"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob("*.partial.txt")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert list(out.glob("*.partial.txt")), "the workers never started"
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=30)[0].decode()  # 795 frames each: minutes
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 143, output
    assert "terminated by SIGTERM" in output and "--resume" in output
    assert not list(out.glob("*.partial.*"))

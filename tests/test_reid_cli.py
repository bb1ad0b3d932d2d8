"""``--reid`` on the command line: ``keeptrack track`` with appearance, adapted on the video."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from keeptrack.cli.main import app
from keeptrack.io.mot import read_mot_file


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def campus(mot15_dir, *extra):
    seq = mot15_dir / "TUD-Campus"
    return (
        "track", "--source", seq, "--detector", "file",
        "--detections", seq / "det" / "det_frcnn_sort.txt", "--confidence", "0.5", *extra,
    )  # fmt: skip


def test_reid_adapt_two_passes_then_reuse_the_head(mot15_dir, tmp_path):
    pytest.importorskip("onnxruntime")
    head, first, second = tmp_path / "head.npz", tmp_path / "a.txt", tmp_path / "b.txt"
    result = run(
        *campus(mot15_dir, "--tracker", "deepsort", "--reid", "adapt", "--reid-save", head),
        "--mot-output", first, "--max-frames", 40,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "pass one" in result.output and head.stat().st_size > 0
    rows = read_mot_file(first)
    assert rows[:, 0].max() == 40 and len(set(rows[:, 1])) >= 4
    result = run(
        *campus(mot15_dir, "--tracker", "bytetrack", "--reid", head),
        "--mot-output", second, "--max-frames", 10,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_mot_file(second)[:, 0].max() == 10


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--tracker", "sort", "--reid", "histogram"), "needs a tracker that uses appearance"),
        (("--tracker", "deepsort", "--reid", "resnet"), "--reid must be one of"),
        (("--tracker", "deepsort", "--reid", "missing.onnx"), "model file not found"),
        (("--tracker", "deepsort", "--reid-save", "h.npz"), "--reid-save needs --reid adapt"),
    ],
)
def test_bad_reid_is_one_line(mot15_dir, extra, message):
    result = run(*campus(mot15_dir, *extra))
    assert result.exit_code == 1 and message in result.output
    assert "Traceback" not in result.output


def test_osnet_file_needs_its_variant_in_the_name(mot15_dir, tmp_path):
    weights = tmp_path / "reid.pt"
    weights.write_bytes(b"")
    result = run(*campus(mot15_dir, "--tracker", "deepsort", "--reid", weights))
    assert result.exit_code == 1 and "cannot tell the OSNet variant" in result.output


def test_bench_reid_feeds_the_appearance_trackers(mot15_dir, tmp_path):
    """A MOTChallenge folder with frames (links to TUD-Campus, FRCNN detections as det.txt)."""
    source, seq = mot15_dir / "TUD-Campus", tmp_path / "data" / "TUD-Campus"
    (seq / "det").mkdir(parents=True)
    for name in ("img1", "gt", "seqinfo.ini"):
        (seq / name).symlink_to(source / name)
    (seq / "det" / "det.txt").symlink_to(source / "det" / "det_frcnn_sort.txt")
    out = tmp_path / "bench"
    result = run(
        "bench", "--data", tmp_path / "data", "--trackers", "sort,deepsort", "--benchmark",
        "plain", "--reid", "histogram", "--output-dir", out,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "could not run" not in result.output  # DeepSORT got its embeddings
    assert read_mot_file(out / "deepsort" / "TUD-Campus.txt")[:, 0].max() > 60

"""``keeptrack eval`` and ``keeptrack bench`` end to end, on small folders built in tmp_path from
slices of the real data (nothing is copied into the repository)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from keeptrack.cli.main import app
from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.io.mot import read_mot_file, read_mot_tracks, shift_frames, val_half_start

SEQUENCES = ("MOT17-05-FRCNN", "MOT17-09-FRCNN")


def invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def eval_cli(gt_dir: Path, results: Path, seqmap: Path, out: Path, *extra: str):
    return invoke(
        "eval",
        "--gt-dir",
        gt_dir,
        "--results-dir",
        results,
        "--seqmap",
        seqmap,
        "--output-dir",
        out,
        *extra,
    )


@pytest.fixture
def folders(mot17_dir: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    """A seqmap of two short sequences and a results folder of MPNTrack's files for them."""
    seqmap = tmp_path / "seqmap.txt"
    seqmap.write_text("name\n" + "\n".join(SEQUENCES) + "\n")
    results = tmp_path / "results"
    results.mkdir()
    for name in SEQUENCES:
        (results / f"{name}.txt").symlink_to(
            mot17_dir / "reference-results" / "MPNTrack" / f"{name}.txt"
        )
    return seqmap, results, tmp_path / "out"


def test_eval_prints_table_and_writes_json_and_csv(mot17_dir, folders):
    seqmap, results, out = folders
    run = eval_cli(mot17_dir, results, seqmap, out)
    assert run.exit_code == 0, run.output
    assert "COMBINED" in run.output and "MOT17-09-FRCNN" in run.output
    written = json.loads((out / "metrics.json").read_text())
    gt = {n: read_mot_tracks(mot17_dir / n / "gt" / "gt.txt") for n in SEQUENCES}
    lengths = {"MOT17-05-FRCNN": 837, "MOT17-09-FRCNN": 525}
    expected = evaluate_mot_sequences(gt, {n: results / f"{n}.txt" for n in SEQUENCES}, lengths)
    for seq, fields in expected.items():
        assert written[seq] == pytest.approx(fields), seq
    csv_lines = (out / "metrics.csv").read_text().splitlines()
    assert csv_lines[0].startswith("sequence,HOTA,") and csv_lines[-1].startswith(COMBINED)
    assert f"{100 * expected[COMBINED]['HOTA']:.2f}" in run.output


def test_eval_val_half_accepts_full_or_renumbered_frames(mot17_dir, folders, tmp_path):
    seqmap, results, out = folders
    renumbered = tmp_path / "renumbered"
    renumbered.mkdir()
    for name, length in (("MOT17-05-FRCNN", 837), ("MOT17-09-FRCNN", 525)):
        rows = shift_frames(read_mot_file(results / f"{name}.txt"), val_half_start(length))
        np.savetxt(renumbered / f"{name}.txt", rows, fmt="%.17g", delimiter=",")
    scores = []
    for folder in (results, renumbered):
        run = eval_cli(mot17_dir, folder, seqmap, out, "--frames", "val-half")
        assert run.exit_code == 0, run.output
        scores.append(json.loads((out / "metrics.json").read_text())[COMBINED])
    assert scores[0] == pytest.approx(scores[1])
    assert scores[0]["CLR_Frames"] == 418 + 262


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1,2,3", ":3: expected 10 fields"),
        ("1,1,1,x,1,1,1,-1,-1,-1", ":3: non-numeric field"),
        ("9999,1,1,1,1,1,1,-1,-1,-1", ":3: frame 9999 is outside 1..525"),
        (None, ":3: track id 0 appears twice in frame 1 (first at line 1)"),  # line 1 again
    ],
)
def test_eval_bad_results_exit_1_naming_file_and_line(mot17_dir, folders, line, message):
    seqmap, results, out = folders
    source = results / "MOT17-09-FRCNN.txt"
    lines = source.read_text().splitlines()
    source.unlink()  # a symlink into the shared data: replace it, never write through it
    lines[2] = lines[0] if line is None else line
    source.write_text("\n".join(lines) + "\n")
    run = eval_cli(mot17_dir, results, seqmap, out)
    assert run.exit_code == 1
    assert f"MOT17-09-FRCNN.txt{message}" in run.output
    assert "Traceback" not in run.output


def test_eval_missing_results_exits_1(mot17_dir, folders):
    seqmap, results, out = folders
    (results / "MOT17-05-FRCNN.txt").unlink()
    run = eval_cli(mot17_dir, results, seqmap, out)
    assert run.exit_code == 1
    assert "not found" in run.output and "MOT17-05-FRCNN.txt" in run.output
    assert "Traceback" not in run.output


def test_eval_empty_results_score_as_all_misses(mot17_dir, folders):
    seqmap, results, out = folders
    (results / "MOT17-05-FRCNN.txt").unlink()
    (results / "MOT17-05-FRCNN.txt").write_text("")
    run = eval_cli(mot17_dir, results, seqmap, out)
    assert run.exit_code == 0, run.output
    m = json.loads((out / "metrics.json").read_text())["MOT17-05-FRCNN"]
    assert (m["Dets"], m["FN"], m["MOTA"], m["HOTA"]) == (0, m["GT_Dets"], 0, 0)


@pytest.fixture
def small_data(mot17_dir: Path, tmp_path: Path) -> Path:
    """Two sequences cut to their first 120 frames (det, gt, seqinfo) in a fresh folder."""
    root = tmp_path / "data"
    for name in SEQUENCES:
        source = mot17_dir / name
        for sub in ("det/det.txt", "gt/gt.txt"):
            rows = read_mot_file(source / sub)
            (root / name / sub).parent.mkdir(parents=True, exist_ok=True)
            np.savetxt(root / name / sub, rows[rows[:, 0] <= 120], fmt="%.17g", delimiter=",")
        info = (source / "seqinfo.ini").read_text()
        info = "\n".join(
            "seqLength=120" if x.startswith("seqLength") else x for x in info.splitlines()
        )
        (root / name / "seqinfo.ini").write_text(info + "\n")
    return root


def test_bench_runs_trackers_and_saves_table_json_plot(small_data, tmp_path):
    out = tmp_path / "bench"
    run = invoke(
        "bench",
        "--data",
        small_data,
        "--trackers",
        "sort,bytetrack",
        "--frames",
        "val-half",
        "--output-dir",
        out,
        "--tracker.lost_track_buffer",
        "20",
    )
    assert run.exit_code == 0, run.output
    assert "bytetrack" in run.output and "frames/s" in run.output
    table = (out / "bench.md").read_text()
    assert "| tracker | HOTA | MOTA | IDF1 | IDSW | AssA | DetA | frames/s | peak MB |" in table
    payload = json.loads((out / "bench.json").read_text())
    assert [r["tracker"] for r in payload] == ["sort", "bytetrack"]
    assert payload[0]["params"] == {"lost_track_buffer": 20}
    assert 0 < payload[1]["HOTA"] < 1 and payload[1]["frames_per_second"] > 0
    assert (out / "bench.png").stat().st_size > 0
    results = read_mot_file(out / "sort" / "MOT17-05-FRCNN.txt")
    assert results[:, 0].max() <= 120 - val_half_start(120)


def test_bench_rejects_unknown_tracker_options(small_data, tmp_path):
    run = invoke(
        "bench",
        "--data",
        small_data,
        "--trackers",
        "sort",
        "--output-dir",
        tmp_path / "b",
        "--tracker.no_such_thing",
        "1",
    )
    assert run.exit_code == 1
    assert "no parameter 'no_such_thing'" in run.output and "Traceback" not in run.output
    run = invoke("bench", "--data", small_data, "--trackers", "nope", "--output-dir", tmp_path)
    assert run.exit_code == 1 and "unknown tracker" in run.output


def test_bench_per_tracker_options_and_a_tracker_that_cannot_run(small_data, tmp_path):
    out = tmp_path / "bench"
    run = invoke(
        "bench",
        "--data",
        small_data,
        "--trackers",
        "sort,bytetrack,deepsort",
        "--output-dir",
        out,
        "--tracker.high_conf_det_threshold",  # SORT has no such parameter: only ByteTrack gets it
        "0.5",
        "--tracker.sort.lost_track_buffer",
        "10",
    )
    assert run.exit_code == 0, run.output
    assert "deepsort could not run" in run.output and "frame is required" in run.output
    payload = json.loads((out / "bench.json").read_text())
    assert [r["tracker"] for r in payload] == ["sort", "bytetrack"]
    assert payload[0]["params"] == {"lost_track_buffer": 10}
    assert payload[1]["params"] == {"high_conf_det_threshold": 0.5}
    run = invoke(
        "bench", "--data", small_data, "--trackers", "sort", "--output-dir", out,
        "--tracker.bytetrack.high_conf_det_threshold", "0.5",
    )  # fmt: skip
    assert run.exit_code == 1 and "not in --trackers" in run.output


def test_bench_lists_tracker_options(small_data):
    run = invoke("bench", "--data", small_data, "--trackers", "bytetrack", "--list-params")
    assert run.exit_code == 0
    assert "--tracker.high_conf_det_threshold" in run.output


def test_command_line_needs_no_click_of_its_own():
    """A core install has typer (which vendors click) but no click package: the entry point
    and every sub-command's help must load without it."""
    import subprocess
    import sys

    script = (
        "import sys; sys.modules['click'] = None\n"
        "from typer.testing import CliRunner\n"
        "from keeptrack.cli.main import app, COMMANDS\n"
        "for args in [['--help']] + [[name, '--help'] for name in COMMANDS]:\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, (args, result.output, result.exception)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True)

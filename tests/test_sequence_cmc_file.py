"""The one sequence loader (splits, gmc.txt cut like the frames) and camera motion from files
(``cmc="file"``) in Python, ``keeptrack bench`` and ``keeptrack track``, on the real data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from keeptrack import ByteTrackTracker, PrecomputedWarps, SORTTracker
from keeptrack.benchmark import bytetrack_output_filter, track_detections
from keeptrack.cli.main import app
from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.io.mot import read_mot_file, read_mot_tracks
from keeptrack.io.sequence import Split, load_sequence, load_sequences, resolve_cmc
from keeptrack.motion.camera import CameraMotion, make_cmc, read_warps, save_warps


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_splits_cut_detections_gt_and_warps_alike(mot17_dir):
    folder = mot17_dir / "MOT17-02-FRCNN"  # 600 frames: h = 301
    full, val, train = (load_sequence(folder, s) for s in Split)
    assert (full.length, val.length, train.length) == (600, 299, 301)
    assert (val.start, train.start) == (301, 0)
    assert val.frame_rate == 30 and len(val.frames) == 299
    # The halves partition the sequence: same detections and GT rows, renumbered.
    np.testing.assert_array_equal(val.frames[0], full.frames[301])
    np.testing.assert_array_equal(train.frames[-1], full.frames[300])
    assert len(val.gt) + len(train.gt) == len(full.gt) == len(read_mot_tracks(folder / "gt/gt.txt"))
    assert val.gt[:, 0].min() == 1 and val.gt[:, 0].max() == 299 and train.gt[:, 0].max() == 301
    # gmc.txt line k maps frame k onto frame k + 1: the val half replays lines h..N-1.
    lines = read_warps(folder / "gmc.txt")
    np.testing.assert_array_equal(val.warps(), lines[301:600])
    np.testing.assert_array_equal(train.warps(), lines[:301])
    np.testing.assert_array_equal(full.warps()[0], np.eye(2, 3))
    with pytest.raises(ValueError, match="split"):
        load_sequence(folder, "val")


def test_dancetrack_dev_loads_at_20_fps_with_a_warp_per_frame(data_dir):
    sequences = load_sequences(data_dir / "dancetrack-dev")
    assert len(sequences) == 8 and sum(s.length for s in sequences) == 7522
    for seq in sequences:
        assert seq.frame_rate == 20 and len(seq.warps()) == seq.length
        assert seq.gt[:, 1].min() >= 0  # ids may start at 0


def test_warps_that_do_not_fit_the_sequence_are_refused(mot17_dir, tmp_path):
    folder = tmp_path / "MOT17-09-FRCNN"
    folder.mkdir()
    for name in ("seqinfo.ini", "det", "gt"):
        (folder / name).symlink_to(mot17_dir / "MOT17-09-FRCNN" / name)
    seq = load_sequence(folder, "val-half")
    with pytest.raises(FileNotFoundError, match="gmc.txt"):
        resolve_cmc({"cmc": "file"}, seq)
    save_warps(folder / "gmc.txt", np.tile(np.eye(2, 3), (10, 1, 1)))
    with pytest.raises(ValueError, match="10 warps for a sequence of 525 frames"):
        resolve_cmc({"cmc": "file"}, seq)
    assert resolve_cmc({"cmc": "boxes", "x": 1}, seq) == {"cmc": "boxes", "x": 1}


def test_replayed_warps_need_no_frame():
    replay = PrecomputedWarps(np.tile([[1.0, 0, 5], [0, 1, 0]], (6, 1, 1)))
    assert replay.needs_frame is False and isinstance(replay, CameraMotion)
    walker = [np.array([[100.0 + 3 * k, 50, 140 + 3 * k, 150, 0.9]]) for k in range(6)]
    moved, still = SORTTracker(cmc=replay), SORTTracker()
    for det in [*walker, np.empty((0, 5))]:
        moved.update(det)
        still.update(det)
    # Every frame-free update replayed one warp, and the warps moved the track's state.
    assert replay.state_dict() == {"index": 7}
    x = [t.state_dict()["tracks"]["mean"][0, 0] for t in (moved, still)]
    assert abs(x[0] - x[1]) > 1
    # With frames or without, the same warps replay: identical outputs.
    with_frames = SORTTracker(cmc=PrecomputedWarps(replay.warps))
    without = SORTTracker(cmc=PrecomputedWarps(replay.warps))
    blank = np.zeros((4, 4, 3), np.uint8)
    for det in walker:
        np.testing.assert_array_equal(with_frames.update(det, frame=blank), without.update(det))
    with pytest.raises(ValueError, match="PrecomputedWarps"):
        make_cmc("file")


def test_gmc_files_help_bytetrack_on_the_mot17_val_half(mot17_val_half, mot17_dir):
    """The data README's measurement: camera motion from the real frames lowers ID switches."""

    def score(cmc_file: bool) -> dict:
        results = {}
        for name, (fps, frames, _, _) in mot17_val_half.items():
            seq = load_sequence(mot17_dir / name, "val-half", gt=False)
            params = resolve_cmc({"cmc": "file" if cmc_file else None}, seq)
            rows, _ = track_detections(ByteTrackTracker(frame_rate=fps, **params), frames)
            results[name] = bytetrack_output_filter(rows)
        gt = {n: s[2] for n, s in mot17_val_half.items()}
        lengths = {n: s[3] for n, s in mot17_val_half.items()}
        return evaluate_mot_sequences(gt, results, lengths)[COMBINED]

    without, with_file = score(False), score(True)
    assert with_file["HOTA"] > without["HOTA"] + 0.004
    assert with_file["IDSW"] < 0.85 * without["IDSW"]


def test_bench_replays_gmc_files(mot17_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("MOT17-05-FRCNN", "MOT17-13-FRCNN"):  # both filmed from a moving camera
        (data / name).symlink_to(mot17_dir / name)
    out = tmp_path / "bench"
    args = ("bench", "--data", data, "--trackers", "bytetrack", "--frames", "val-half")
    run = invoke(*args, "--output-dir", out, "--tracker.cmc", "file")
    assert run.exit_code == 0, run.output
    plain = invoke(*args, "--output-dir", tmp_path / "plain")
    assert plain.exit_code == 0, plain.output
    with_file = json.loads((out / "bench.json").read_text())[0]
    without = json.loads((tmp_path / "plain" / "bench.json").read_text())[0]
    assert with_file["params"] == {"cmc": "file"}
    assert with_file["IDSW"] < without["IDSW"] and with_file["HOTA"] > without["HOTA"]
    # Exactly the Python run with the val half's warps.
    seq = load_sequence(data / "MOT17-13-FRCNN", "val-half")
    tracker = ByteTrackTracker(frame_rate=seq.frame_rate, cmc=seq.camera_motion())
    rows = bytetrack_output_filter(track_detections(tracker, seq.frames)[0])
    written = read_mot_file(out / "bytetrack" / "MOT17-13-FRCNN.txt")
    np.testing.assert_allclose(written[:, :6], rows[:, :6], atol=0.005)


def test_track_replays_the_source_folders_gmc_file(mot15_dir, tmp_path):
    source = tmp_path / "TUD-Campus"
    source.mkdir()
    for name in ("seqinfo.ini", "img1", "det"):
        (source / name).symlink_to(mot15_dir / "TUD-Campus" / name)
    detections = source / "det" / "det_frcnn_sort.txt"
    args = ("track", "--source", source, "--detector", "file", "--detections", detections)
    args += ("--tracker", "bytetrack", "--tracker.cmc", "file")
    run = invoke(*args, "--mot-output", tmp_path / "a.txt")
    assert run.exit_code == 1 and "gmc.txt" in run.output and "Traceback" not in run.output
    warps = np.tile(np.eye(2, 3), (71, 1, 1))
    warps[1:, 0, 2] = 2.0  # a slow pan to the right
    save_warps(source / "gmc.txt", warps)
    run = invoke(*args, "--mot-output", tmp_path / "a.txt")
    assert run.exit_code == 0, run.output
    seq = load_sequence(source, det_name="det_frcnn_sort.txt", gt=False)
    tracker = ByteTrackTracker(frame_rate=seq.frame_rate, cmc=PrecomputedWarps(warps))
    rows = track_detections(tracker, seq.frames)[0]
    np.testing.assert_allclose(read_mot_file(tmp_path / "a.txt")[:, :6], rows[:, :6], atol=0.005)
    video = invoke(
        "track",
        "--source",
        mot15_dir / "PETS09-S2L1" / "video" / "vtest.avi",
        "--tracker.cmc",
        "file",
        "--max-frames",
        "1",
    )
    assert video.exit_code == 1 and "MOTChallenge sequence folder" in video.output


def test_unbounded_scores_scale_to_unit(mot15_dir):
    raw = load_sequence(mot15_dir / "ETH-Sunnyday", gt=False)  # ACF scores, about -1 to 140
    scaled = raw.with_unit_scores()
    scores = np.concatenate([d[:, 4] for d in raw.frames])
    unit = np.concatenate([d[:, 4] for d in scaled.frames])
    assert scores.max() > 10 and scores.min() < 0
    assert unit.max() == 1.0 and unit.min() == 0.0
    np.testing.assert_allclose(unit[scores > 0], scores[scores > 0] / scores.max())
    np.testing.assert_array_equal(scaled.frames[5][:, :4], raw.frames[5][:, :4])

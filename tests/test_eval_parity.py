"""keeptrack.eval against the reference implementation (trackeval 1.3.0) on real files.

Every HOTA / CLEAR / Identity / Count field TrackEval reports must agree to 1e-9, per sequence
and combined; the MOT15 motmetrics test data must give the MOT devkit's published numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from keeptrack import ByteTrackTracker
from keeptrack.benchmark import bytetrack_output_filter, track_detections
from keeptrack.eval import COMBINED, evaluate_mot_sequences
from keeptrack.eval.crosscheck import trackeval_metrics
from keeptrack.io.mot import read_mot_tracks, read_seqinfo, write_mot_results
from keeptrack.io.sequence import load_sequence

pytest.importorskip("trackeval")

#: TrackEval fields that keeptrack keeps internal (per-alpha counts, the MOTP numerator).
INTERNAL = {"HOTA_TP", "HOTA_FN", "HOTA_FP", "MOTP_sum"}


def assert_same(ours: dict, reference: dict, tol: float = 1e-9) -> None:
    """Every reference field, every sequence and the combined row, within ``tol``."""
    assert set(ours) == set(reference)
    for seq, fields in reference.items():
        assert set(fields) - set(ours[seq]) <= INTERNAL, seq
        for key, value in fields.items():
            if key in INTERNAL:
                continue
            assert ours[seq][key] == pytest.approx(value, abs=tol), (seq, key)


@pytest.fixture(scope="module")
def mot17(mot17_dir: Path) -> tuple[list[str], dict[str, int]]:
    names = sorted(p.name for p in mot17_dir.glob("MOT17-*") if p.is_dir())
    assert len(names) == 7
    return names, {n: read_seqinfo(mot17_dir / n).length for n in names}


@pytest.mark.parametrize(
    ("tracker", "published"),
    [("MPNTrack", (61.8, 63.8, 71.3, 158)), ("Lif_T", (63.2, 66.1, 72.1, 259))],
)
def test_reference_results_match_trackeval(mot17_dir, mot17, tracker, published):
    names, lengths = mot17
    gt_files = {n: mot17_dir / n / "gt" / "gt.txt" for n in names}
    results = {n: mot17_dir / "reference-results" / tracker / f"{n}.txt" for n in names}
    gt = {n: read_mot_tracks(gt_files[n], lengths[n]) for n in names}

    ours = evaluate_mot_sequences(gt, results, lengths, benchmark="mot17")

    assert_same(ours, trackeval_metrics(gt_files, results, lengths, "mot17"))
    combined = ours[COMBINED]
    hota, mota, idf1, idsw = published
    assert round(100 * combined["HOTA"], 1) == hota
    assert round(100 * combined["MOTA"], 1) == mota
    assert round(100 * combined["IDF1"], 1) == idf1
    assert combined["IDSW"] == idsw


def test_own_bytetrack_val_half_matches_trackeval(mot17_dir, mot17, tmp_path):
    names, _ = mot17
    gt, results, lengths, gt_files, result_files = {}, {}, {}, {}, {}
    for name in names:
        seq = load_sequence(mot17_dir / name, "val-half")
        lengths[name] = seq.length
        rows, _ = track_detections(ByteTrackTracker(frame_rate=seq.frame_rate), seq.frames)
        result_files[name] = tmp_path / "results" / f"{name}.txt"
        write_mot_results(result_files[name], bytetrack_output_filter(rows))
        gt[name] = seq.gt
        gt_files[name] = tmp_path / "gt" / f"{name}.txt"
        gt_files[name].parent.mkdir(exist_ok=True)
        np.savetxt(gt_files[name], gt[name], fmt="%.17g", delimiter=",")  # exact round trip
        results[name] = result_files[name]

    ours = evaluate_mot_sequences(gt, results, lengths)

    assert_same(ours, trackeval_metrics(gt_files, result_files, lengths))
    assert ours[COMBINED]["HOTA"] > 0.6  # a real tracker, not an empty run


def test_motmetrics_testdata_gives_devkit_numbers(mot15_dir):
    expected = {"TUD-Campus": (0.557659, 0.526462), "TUD-Stadtmitte": (0.644619, 0.564014)}
    lengths = {n: read_seqinfo(mot15_dir / n).length for n in expected}
    gt_files = {n: mot15_dir / n / "gt" / "gt.txt" for n in expected}
    testdata = mot15_dir / "reference-results" / "motmetrics-testdata"
    results = {n: testdata / f"{n}.txt" for n in expected}
    gt = {n: read_mot_tracks(gt_files[n], lengths[n]) for n in expected}

    ours = evaluate_mot_sequences(gt, results, lengths, benchmark="plain")

    for name, (idf1, mota) in expected.items():
        assert ours[name]["IDF1"] == pytest.approx(idf1, abs=5e-7)
        assert ours[name]["MOTA"] == pytest.approx(mota, abs=5e-7)
    assert ours[COMBINED]["IDF1"] == pytest.approx(0.624296, abs=5e-7)
    assert ours[COMBINED]["MOTA"] == pytest.approx(0.555116, abs=5e-7)
    assert (ours["TUD-Campus"]["FP"], ours["TUD-Campus"]["FN"]) == (13, 150)
    assert (ours["TUD-Stadtmitte"]["FP"], ours["TUD-Stadtmitte"]["FN"]) == (45, 452)
    assert_same(ours, trackeval_metrics(gt_files, results, lengths, "plain"))

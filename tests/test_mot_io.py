"""MOTChallenge readers: fast path equals the plain parser, and every malformed file is
reported with its path and line number."""

from __future__ import annotations

import numpy as np
import pytest

from keeptrack.io.mot import (
    MOTFormatError,
    check_mot_rows,
    find_sequences,
    read_mot_detections,
    read_mot_file,
    read_mot_tracks,
    read_seqmap,
)


def write(tmp_path, text, name="f.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_integer_fast_path_gives_the_floats_a_float_parser_gives(tmp_path):
    # Column 2 looks like an integer on line 1 but not on line 3: the file must be re-parsed.
    text = "1,1,10,20,30,40,1,1,0.5\n2,1,11,21,31,41,1,1,1\n\n3,7,12.25,-3,30,40,0,7,0.123456789\n"
    rows = read_mot_file(write(tmp_path, text))
    expected = [[float(v) for v in line.split(",")] for line in text.split("\n") if line]
    assert rows.dtype == np.float64
    np.testing.assert_array_equal(rows, expected)


def test_whitespace_separated_and_trailing_commas_are_read(tmp_path):
    rows = read_mot_file(write(tmp_path, "1 2 3 4 5 6 0.5\n2 2 3 4 5 6 0.5\n"))
    assert rows.shape == (2, 7)
    rows = read_mot_file(write(tmp_path, "1,2,3,4,5,6,\n2,2,3,4,5,6,\n", "t.txt"))
    assert rows.shape == (2, 6)


def test_real_gt_reads_as_numbers(mot17_dir):
    gt = read_mot_tracks(mot17_dir / "MOT17-05-FRCNN" / "gt" / "gt.txt", 837)
    assert gt.shape == (8013, 9)
    det = read_mot_detections(mot17_dir / "MOT17-05-FRCNN" / "det" / "det.txt", 837)
    assert det.shape[1] == 10 and det[:, 6].max() <= 1


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing.txt"):
        read_mot_tracks(tmp_path / "nothing.txt")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,1,1,1,1,1,1\n1,2,3\n", r":2: expected 7 fields like the first line, got 3"),
        ("1,1,1,1,1,1,1\n2,1,1,x,1,1,1\n", r":2: non-numeric field"),
        ("1,1,1,1,1\n", r":1: expected at least 6 comma-separated fields, got 5"),
        ("1,1,1,1,1,1,1\n\n9,1,1,1,1,1,1\n", r":3: frame 9 is outside 1\.\.5"),
        ("0,1,1,1,1,1,1\n", r":1: frame 0 is outside 1\.\.5 .*1-based"),
        (
            "2,1,1,1,1,1,1\n2,3,1,1,1,1,1\n2,1,5,5,1,1,1\n",
            r":3: track id 1 appears twice in frame 2.*first at line 1",
        ),
        ("1,-1,1,1,1,1,1\n", r":1: track id -1 is not a non-negative integer"),
        ("1,1,1,1,nan,1,1\n", r":1: NaN or inf"),
    ],
)
def test_malformed_results_name_file_and_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(MOTFormatError, match=message) as error:
        read_mot_tracks(path, length=5)
    assert str(error.value).startswith(str(path))


def test_empty_results_file_is_valid(tmp_path):
    rows = read_mot_tracks(write(tmp_path, ""), length=5)
    assert rows.shape == (0, 10)


def test_det_files_may_repeat_ids(tmp_path):
    rows = read_mot_detections(write(tmp_path, "1,-1,1,1,1,1,0.9\n1,-1,2,2,1,1,0.8\n"), 3)
    assert len(rows) == 2


def test_check_mot_rows_names_the_array():
    with pytest.raises(MOTFormatError, match=r"results\['a'\] row 2: frame 7 is outside"):
        check_mot_rows([[1, 1, 0, 0, 1, 1], [7, 1, 0, 0, 1, 1]], "results['a']", 5, True)
    with pytest.raises(MOTFormatError, match=r"expected an \(N, >=6\) array"):
        check_mot_rows([[1, 2, 3]], "x")


def test_seqmap_and_sequence_discovery(tmp_path):
    assert read_seqmap(write(tmp_path, "name\nMOT17-02\n\nMOT17-04\n")) == ["MOT17-02", "MOT17-04"]
    with pytest.raises(MOTFormatError, match="lists no sequence"):
        read_seqmap(write(tmp_path, "name\n", "empty.txt"))
    (tmp_path / "b" / "gt").mkdir(parents=True)
    (tmp_path / "b" / "gt" / "gt.txt").write_text("")
    (tmp_path / "a").mkdir()
    assert find_sequences(tmp_path) == ["b"]

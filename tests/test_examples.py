"""The scripts in examples/ run as documented on short real inputs (the data is read in place
from ``$KEEPTRACK_DATA``). The Ultralytics and inference scripts cannot run here -- see
docs/guides/examples.md -- so only their command lines are checked."""

from __future__ import annotations

import importlib.util
import runpy

import cv2
import numpy as np
import pytest
from conftest import DATA_DIR, REPO_ROOT

from keeptrack import ByteTrackTracker
from keeptrack.benchmark import track_detections
from keeptrack.io.mot import read_mot_file
from keeptrack.io.sequence import load_sequence

EXAMPLES = REPO_ROOT / "examples"


@pytest.fixture
def example(monkeypatch, tmp_path):
    """``example(name, "--option value ...")`` runs ``examples/<name>.py``'s ``main`` on those
    arguments, from ``tmp_path``."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.setenv("KEEPTRACK_DATA", str(DATA_DIR))
    monkeypatch.chdir(tmp_path)

    def run(name: str, command: str):
        return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name=name)["main"](command.split())

    return run


def test_process_video_callback_tracks_pets09(example, tmp_path):
    ids = example("supervision_process_video", "--max-frames 5 --target out.mp4")
    assert ids and min(ids) == 1
    video = cv2.VideoCapture(str(tmp_path / "out.mp4"))
    assert int(video.get(cv2.CAP_PROP_FRAME_COUNT)) == 5


def test_deep_sort_realtime_port_writes_mot_results(example, tmp_path):
    rows = example(
        "deep_sort_realtime_port",
        "--embedder histogram --max-frames 12 --output campus.txt",
    )
    assert len(np.unique(rows[:, 1])) >= 3
    np.testing.assert_allclose(
        read_mot_file(tmp_path / "campus.txt")[:, :6], rows[:, :6], atol=0.01
    )
    for frame in np.unique(rows[:, 0]):
        ids = rows[rows[:, 0] == frame, 1]
        assert len(ids) == len(set(ids))


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="needs transformers")
def test_transformers_adapter_runs_a_random_rtdetr(example):
    ids = example("transformers_detr", "--random-rtdetr --tracker sort --max-frames 2")
    assert ids  # random boxes, but detected, converted, tracked and drawn


def test_oriented_vehicles_keep_their_identities(example):
    ids = example("oriented_boxes", "--frames 120")
    assert all(len(got) == 1 for got in ids.values()), ids
    assert len(set().union(*ids.values())) == len(ids)


def test_class_gate_keeps_the_cars_identity_from_the_driver(example):
    mixed = example("class_aware", "--tracker bytetrack")
    assert mixed == {False: 1, True: 0}


def test_resumed_stream_equals_an_uninterrupted_one(example):
    first = example("resume_from_state", "first --stop-after 100 --output a.txt")
    rest = example("resume_from_state", "rest --output b.txt")
    sequence = load_sequence(DATA_DIR / "mot17-train" / "MOT17-09-FRCNN", gt=False)
    whole, _ = track_detections(ByteTrackTracker(frame_rate=sequence.frame_rate), sequence.frames)
    np.testing.assert_array_equal(np.concatenate([first, rest]), whole)


@pytest.mark.parametrize("name", ["ultralytics_yolo", "inference_model"])
def test_scripts_that_cannot_run_here_still_parse(example, name, capsys):
    with pytest.raises(SystemExit) as stop:
        example(name, "--help")
    assert stop.value.code == 0 and "--model" in capsys.readouterr().out

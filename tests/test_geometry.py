import numpy as np
import pytest

from keeptrack import geometry as g

RNG = np.random.default_rng(7)


def random_boxes(n: int) -> np.ndarray:
    xy = RNG.uniform(0, 200, size=(n, 2))
    wh = RNG.uniform(1, 80, size=(n, 2))
    return np.hstack([xy, xy + wh])


@pytest.mark.parametrize(
    ("forward", "backward"),
    [
        (g.xyxy_to_tlwh, g.tlwh_to_xyxy),
        (g.xyxy_to_xywh, g.xywh_to_xyxy),
        (g.xyxy_to_xyah, g.xyah_to_xyxy),
        (g.xyxy_to_xysr, g.xysr_to_xyxy),
    ],
)
def test_conversions_round_trip(forward, backward):
    boxes = random_boxes(50)
    np.testing.assert_allclose(backward(forward(boxes)), boxes, atol=1e-9)


def test_conversion_values():
    box = np.array([[10.0, 20.0, 50.0, 100.0]])
    np.testing.assert_allclose(g.xyxy_to_tlwh(box), [[10, 20, 40, 80]])
    np.testing.assert_allclose(g.xyxy_to_xywh(box), [[30, 60, 40, 80]])
    np.testing.assert_allclose(g.xyxy_to_xyah(box), [[30, 60, 0.5, 80]])
    np.testing.assert_allclose(g.xyxy_to_xysr(box), [[30, 60, 3200, 0.5]])


def brute_force_iou(a, b):
    out = np.zeros((len(a), len(b)))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            w = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
            h = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
            inter = w * h
            union = (p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter
            out[i, j] = inter / union
    return out


def test_iou_matches_brute_force():
    a, b = random_boxes(13), random_boxes(17)
    np.testing.assert_allclose(g.box_iou(a, b), brute_force_iou(a, b), atol=1e-12)


def test_iou_empty_inputs_give_empty_matrix():
    assert g.box_iou(np.empty((0, 4)), random_boxes(3)).shape == (0, 3)
    assert g.box_iou(random_boxes(2), np.empty((0, 4))).shape == (2, 0)


def test_iou_family_bounds_and_identity():
    a, b = random_boxes(20), random_boxes(20)
    iou = g.box_iou(a, b)
    # GIoU and DIoU lie in [-1, 1]; CIoU's aspect penalty (< 1) can take it below -1.
    for fn, lowest in ((g.box_giou, -1), (g.box_diou, -1), (g.box_ciou, -2)):
        values = fn(a, b)
        assert values.shape == iou.shape
        assert np.all(values <= iou + 1e-12), fn.__name__  # penalties only subtract
        assert np.all(values >= lowest - 1e-12), fn.__name__
        np.testing.assert_allclose(np.diag(fn(a, a)), 1.0, atol=1e-12)


def test_giou_of_disjoint_boxes_is_negative():
    a = np.array([[0.0, 0.0, 10.0, 10.0]])
    b = np.array([[20.0, 0.0, 30.0, 10.0]])
    # hull 30x10 = 300, union 200 -> GIoU = 0 - 100/300
    np.testing.assert_allclose(g.box_giou(a, b), [[-1 / 3]])


def test_compiled_iou_matrix_equals_geometry_on_both_box_kinds():
    """The stages' IoU (what every tracker step uses) is geometry's, rotated boxes included."""
    from keeptrack.geometry import box_iou, box_iou_rotated
    from keeptrack.stages.boxes import iou_matrix

    rng = np.random.default_rng(3)
    a = np.column_stack([rng.uniform(0, 200, (30, 2)), rng.uniform(5, 80, (30, 2))])
    b = np.column_stack([rng.uniform(0, 200, (36, 2)), rng.uniform(5, 80, (36, 2))])
    a5 = np.column_stack([a, rng.uniform(-3, 3, 30)])
    b5 = np.column_stack([b, rng.uniform(-3, 3, 36)])
    b5[:5, 4] = 0.0
    a5[:5, 4] = 0.0  # unrotated pairs take the axis-aligned formula
    expected = box_iou_rotated(a5, b5)
    assert (expected > 0).mean() > 0.1
    np.testing.assert_allclose(iou_matrix(a5, b5), expected, atol=1e-12)
    xyxy_a = np.column_stack([a[:, :2], a[:, :2] + a[:, 2:]])
    xyxy_b = np.column_stack([b[:, :2], b[:, :2] + b[:, 2:]])
    np.testing.assert_array_equal(iou_matrix(xyxy_a, xyxy_b), box_iou(xyxy_a, xyxy_b))

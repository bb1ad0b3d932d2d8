"""Trackers by name, and constructor parameters as ``--tracker.<name>`` options."""

import pytest

from keeptrack import BoTSORTTracker, ByteTrackTracker, SORTTracker
from keeptrack.motion.cmc import CMC
from keeptrack.trackers.registry import (
    TRACKERS,
    create_tracker,
    parse_tracker_options,
    tracker_class,
    tracker_parameters,
)


def test_every_registered_tracker_loads_and_exposes_its_parameters():
    assert set(TRACKERS) == {
        "sort",
        "bytetrack",
        "deepsort",
        "ocsort",
        "botsort",
        "hybridsort",
        "boosttrack",
        "deepocsort",
    }
    for name in TRACKERS:
        params = tracker_parameters(tracker_class(name))
        assert {"frame_rate", "lost_track_buffer", "class_aware", "cmc"} <= set(params), name
        assert all(p.help for p in params.values()), name  # help comes from the docstring
    assert "reid_model" not in tracker_parameters(BoTSORTTracker)  # objects are not options


def test_values_are_converted_by_the_signature():
    kwargs = parse_tracker_options(
        ByteTrackTracker,
        [
            "--tracker.lost_track_buffer",
            "60",
            "--tracker.minimum_iou_threshold=0.2",
            "--tracker.fuse-score",
            "false",
            "--tracker.cmc",
            "orb",
        ],
    )
    assert kwargs == {
        "lost_track_buffer": 60,
        "minimum_iou_threshold": 0.2,
        "fuse_score": False,
        "cmc": "orb",
    }
    tracker = ByteTrackTracker(**kwargs)
    assert isinstance(tracker.cmc, CMC) and tracker.lost_track_buffer == 60
    assert parse_tracker_options(BoTSORTTracker, ["--tracker.cmc", "none"]) == {"cmc": None}
    assert create_tracker("BoTSORT", cmc=None).cmc is None


def test_optional_numbers_take_a_value_or_none():
    """``float | None`` options (score promotion) switch off with ``none``."""
    off = parse_tracker_options(BoTSORTTracker, ["--tracker.promote_iou_threshold", "none"])
    assert off == {"promote_iou_threshold": None}
    assert BoTSORTTracker(**off).promote_iou_threshold is None
    on = parse_tracker_options(ByteTrackTracker, ["--tracker.promote_iou_threshold=0.75"])
    assert ByteTrackTracker(**on).promote_iou_threshold == 0.75
    with pytest.raises(ValueError, match="expects a float"):
        parse_tracker_options(ByteTrackTracker, ["--tracker.promote_iou_threshold", "high"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tracker.nope", "1"], "valid options: --tracker.lost_track_buffer"),
        (["--tracker.lost_track_buffer", "many"], "expects a int"),
        (["--tracker.class_aware", "maybe"], "expects true or false"),
        (["--tracker.frame_rate"], "needs a value"),
        (["lost_track_buffer", "3"], "look like --tracker.NAME VALUE"),
    ],
)
def test_bad_options_say_what_is_valid(args, message):
    with pytest.raises(ValueError) as error:
        parse_tracker_options(SORTTracker, args)
    assert message in str(error.value)


def test_unknown_tracker_lists_the_known_ones():
    with pytest.raises(
        ValueError,
        match="boosttrack, botsort, bytetrack, deepocsort, deepsort, hybridsort, ocsort, sort",
    ):
        tracker_class("strongsort")

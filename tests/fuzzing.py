"""Hostile detection streams, and the invariants every tracker keeps on them (issue 14).

Shared by ``tests/test_properties.py`` (hypothesis, a bounded number of examples for CI) and
``benchmarks/fuzz.py`` (at least 100,000 ``update`` calls per tracker), so both check the same
things. A stream is a list of :class:`Call`; :func:`random_plan` and the hypothesis strategy in
the test file both produce a :class:`Plan`, which :func:`build_calls` turns into arrays.

Frame kinds: ``empty``, ``walk`` (persistent objects that move, leave and come back, so tracks
are confirmed, lost and re-found), ``duplicates`` (identical rows), ``huge`` and ``tiny`` boxes,
``extreme`` coordinates (up to 1e12 px), ``degenerate`` (boxes 1e-6 wide, scores exactly 0 and 1,
1 + 1e-7, -1e-7), ``burst`` (hundreds to thousands of detections at once), ``hostile`` (one
bad value: NaN, inf, inverted box, score 1.5, fractional class, NaN embedding; must raise a
ValueError and change nothing) and ``drop`` (bad rows with ``on_invalid="drop"``: must not
raise, must leave those rows out). Timestamps are absent, or increasing with random gaps, and
sometimes go backwards (a documented ValueError).
"""

from __future__ import annotations

import math
import pickle
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from keeptrack.detections import InvalidDetectionsWarning
from keeptrack.geometry import normalize_angle
from keeptrack.trackers.registry import TRACKERS, create_tracker

TRACKER_NAMES = tuple(TRACKERS)
BOX_KINDS = ("xyxy", "xywhr")
FRAME_KINDS = (
    "empty",
    "walk",
    "duplicates",
    "huge",
    "tiny",
    "extreme",
    "degenerate",
    "burst",
    "hostile",
    "drop",
)
#: Embedding length given to DeepSORT (built with ``reid_model="precomputed"``).
EMBEDDING_DIM = 8
#: Tracker settings the streams run with (index = ``Plan.variant``).
VARIANTS = (
    {},
    {"minimum_consecutive_frames": 1, "lost_track_buffer": 5},
    {"minimum_consecutive_frames": 2, "lost_track_buffer": 1, "class_aware": True},
)


@dataclass(frozen=True)
class Plan:
    """What a stream is made of; arrays come from :func:`build_calls` and the seed."""

    tracker: str
    box_kind: str
    kinds: tuple[str, ...]
    seed: int
    variant: int = 0
    timestamps: str = "none"  # "none", "increasing" or "jumpy" (sometimes backwards)
    burst_size: int = 500


@dataclass
class Call:
    """One ``update`` call and what it must do."""

    detections: np.ndarray
    kind: str
    timestamp: float | None = None
    embeddings: np.ndarray | None = None
    on_invalid: str = "raise"
    must_raise: bool = False
    dropped: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))


def make_tracker(plan: Plan) -> Any:
    params = dict(VARIANTS[plan.variant])
    if plan.tracker == "deepsort":
        params["reid_model"] = "precomputed"
    return create_tracker(plan.tracker, **params)


def random_plan(rng: np.random.Generator, tracker: str, box_kind: str, length: int) -> Plan:
    """A plan drawn with NumPy (the fuzz script's random half)."""
    weights = np.array([3, 12, 2, 1, 1, 1, 1, 0.3, 2, 1.5], dtype=float)
    kinds = rng.choice(FRAME_KINDS, size=length, p=weights / weights.sum())
    return Plan(
        tracker=tracker,
        box_kind=box_kind,
        kinds=tuple(str(k) for k in kinds),
        seed=int(rng.integers(2**31)),
        variant=int(rng.integers(len(VARIANTS))),
        timestamps=str(rng.choice(["none", "increasing", "jumpy"])),
        burst_size=int(rng.integers(100, 1500 if box_kind == "xyxy" else 150)),
    )


# --- building the arrays -----------------------------------------------------------------------
def _boxes(rng: np.random.Generator, n: int, scale: float, offset: float) -> np.ndarray:
    """``(n, 4)`` xywh boxes: centres around ``offset``, sizes around ``scale``."""
    centre = offset + rng.uniform(-10, 10, (n, 2)) * max(scale, 1.0)
    size = scale * rng.uniform(0.5, 2.0, (n, 2))
    return np.column_stack([centre, size])


def _rows(rng: np.random.Generator, xywh: np.ndarray, box_kind: str) -> np.ndarray:
    """Detection rows of the box kind: ``[x1, y1, x2, y2, score, class]`` or
    ``[cx, cy, w, h, angle, score, class]`` (angles already in ``(-pi, pi]``)."""
    n = len(xywh)
    score = rng.uniform(0.05, 1.0, n)
    score[rng.uniform(size=n) < 0.1] = 1.0
    cls = rng.integers(0, 3, n).astype(float)
    if box_kind == "xyxy":
        half = xywh[:, 2:] / 2
        boxes = np.column_stack([xywh[:, :2] - half, xywh[:, :2] + half])
        boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2])  # rounding at 1e12
        return np.column_stack([boxes, score, cls])
    angle = normalize_angle(rng.uniform(-np.pi, np.pi, n))
    return np.column_stack([xywh, angle, score, cls])


class _World:
    """Persistent objects for ``walk`` frames: they move, leave, come back, new ones appear."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.xywh = _boxes(rng, int(rng.integers(1, 12)), 40.0, 500.0)
        self.velocity = rng.normal(0, 4, (len(self.xywh), 2))

    def frame(self) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        self.xywh[:, :2] += self.velocity
        if rng.uniform() < 0.2:  # someone arrives
            self.xywh = np.vstack([self.xywh, _boxes(rng, 1, 40.0, 500.0)])
            self.velocity = np.vstack([self.velocity, rng.normal(0, 4, (1, 2))])
        seen = np.flatnonzero(rng.uniform(size=len(self.xywh)) > 0.15)
        noisy = self.xywh[seen] + rng.normal(0, 1.0, (len(seen), 4)) * [1, 1, 0.5, 0.5]
        noisy[:, 2:] = np.abs(noisy[:, 2:]) + 1.0
        return noisy, seen


def _spoil(rng: np.random.Generator, rows: np.ndarray, box_kind: str, count: int) -> np.ndarray:
    """Give ``count`` random rows one bad value each; returns their indices."""
    bad = rng.choice(len(rows), size=min(count, len(rows)), replace=False)
    score_col = 4 if box_kind == "xyxy" else 5
    for r in bad:
        how = rng.integers(7)
        if how == 0:
            rows[r, rng.integers(4)] = np.nan
        elif how == 1:
            rows[r, rng.integers(4)] = np.inf * rng.choice([-1, 1])
        elif how == 2:
            if box_kind == "xyxy":
                rows[r, 2] = rows[r, 0] - 5.0  # inverted
            else:
                rows[r, 2] = -3.0  # negative width
        elif how == 3:
            rows[r, score_col] = 1.5
        elif how == 4:
            rows[r, score_col] = -0.01
        elif how == 5:  # empty box: zero width
            if box_kind == "xyxy":
                rows[r, 2] = rows[r, 0]
            else:
                rows[r, 2] = 0.0
        else:
            rows[r, score_col + 1] = 0.5  # fractional class
    return np.sort(bad)


def _embeddings(rng: np.random.Generator, n: int, keys: np.ndarray | None) -> np.ndarray:
    if keys is None:
        return rng.normal(size=(n, EMBEDDING_DIM)).astype(np.float32)
    base = np.random.default_rng(1234).normal(size=(4096, EMBEDDING_DIM))[keys % 4096]
    return (base + rng.normal(0, 0.05, base.shape)).astype(np.float32)


def build_calls(plan: Plan) -> list[Call]:
    """The update calls of ``plan`` (deterministic in ``plan``)."""
    rng = np.random.default_rng(plan.seed)
    world = _World(rng)
    calls: list[Call] = []
    clock = 100.0
    accepted: float | None = None  # the last timestamp a tracker took
    deepsort = plan.tracker == "deepsort"
    columns = 6 if plan.box_kind == "xyxy" else 7
    for kind in plan.kinds:
        keys = None
        if kind == "empty":
            rows = np.empty((0, columns))
        elif kind == "walk":
            xywh, keys = world.frame()
            rows = _rows(rng, xywh, plan.box_kind)
            rows[:, -1] = keys % 3  # an object keeps its class (class_aware variants)
        elif kind == "duplicates":
            xywh, keys = world.frame()
            rows = _rows(rng, xywh, plan.box_kind)
            rows = np.vstack([rows, rows, rows[: max(1, len(rows) // 2)]]) if len(rows) else rows
            keys = None
        elif kind in ("huge", "tiny", "extreme"):
            n = int(rng.integers(1, 20))
            scale, offset = {"huge": (1e6, 0.0), "tiny": (1e-3, 50.0), "extreme": (50.0, 1e12)}[
                kind
            ]
            offset *= rng.choice([-1.0, 1.0]) if kind == "extreme" else 1.0
            rows = _rows(rng, _boxes(rng, n, scale, offset), plan.box_kind)
        elif kind == "degenerate":  # valid edge cases: scores at and just past the bounds
            n = int(rng.integers(1, 10))
            xywh = _boxes(rng, n, 30.0, 300.0)
            xywh[rng.uniform(size=n) < 0.3, 2:] = 1e-6
            rows = _rows(rng, xywh, plan.box_kind)
            score_col = 4 if plan.box_kind == "xyxy" else 5
            rows[:, score_col] = rng.choice([0.0, 1.0, 1.0 + 1e-7, -1e-7], n)
        elif kind == "burst":
            side = int(math.ceil(math.sqrt(plan.burst_size)))
            k = np.arange(plan.burst_size)
            xywh = np.column_stack(
                [
                    (k % side) * 25.0,
                    (k // side) * 45.0,
                    np.full(len(k), 20.0),
                    np.full(len(k), 40.0),
                ]
            )
            xywh[:, :2] += rng.normal(0, 1.0, (len(k), 2))
            rows = _rows(rng, xywh, plan.box_kind)
        else:  # hostile, drop
            xywh, keys = world.frame()
            if len(xywh) == 0:
                xywh = _boxes(rng, 3, 30.0, 300.0)
                keys = None
            rows = _rows(rng, xywh, plan.box_kind)
        call = Call(rows, kind)
        if kind in ("hostile", "drop"):
            count = 1 if kind == "hostile" else int(rng.integers(1, len(rows) + 1))
            call.dropped = _spoil(rng, rows, plan.box_kind, count)
            call.must_raise = kind == "hostile"
            call.on_invalid = "drop" if kind == "drop" else "raise"
        if deepsort:
            call.embeddings = _embeddings(rng, len(rows), keys)
            if kind == "hostile" and rng.uniform() < 0.3:  # a bad embedding instead of a box
                call.detections = _rows(rng, xywh, plan.box_kind)
                call.dropped = np.empty(0, dtype=np.intp)
                call.embeddings[rng.integers(len(rows)), 0] = np.nan
        if plan.timestamps != "none":
            clock += rng.choice([1 / 30, 1 / 30, 1 / 30, 2 / 30, 0.5, 10.0])
            stamp = clock
            if plan.timestamps == "jumpy" and rng.uniform() < 0.1 and accepted is not None:
                stamp = accepted - rng.uniform(0.01, 5)  # backwards: a documented ValueError
                call.must_raise = call.must_raise or call.on_invalid == "raise"
            elif not call.must_raise:
                accepted = stamp
            call.timestamp = float(stamp)
        calls.append(call)
    return calls


# --- running and checking ----------------------------------------------------------------------
class InvariantError(AssertionError):
    """A tracker broke one of the invariants (the message says which, and where)."""


def update(tracker: Any, call: Call) -> Any:
    kwargs: dict[str, Any] = {"timestamp": call.timestamp, "on_invalid": call.on_invalid}
    if call.detections.shape[1] == 7:
        kwargs["box_format"] = "xywhr"
    if call.embeddings is not None:
        kwargs["embeddings"] = call.embeddings
    return tracker.update(call.detections, **kwargs)


def same_state(a: Any, b: Any) -> bool:
    """Exact equality of two state dicts (NaN equal to NaN, arrays by value and dtype)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@dataclass
class Stats:
    """What a checked run saw (the fuzz script's table)."""

    calls: int = 0
    value_errors: int = 0
    undocumented: int = 0
    duplicate_ids: int = 0
    state_changed_on_error: int = 0
    reused_ids: int = 0
    failures: list[str] = field(default_factory=list)


class Checker:
    """Feeds calls to one tracker and checks every invariant after each call."""

    def __init__(self, tracker: Any, stats: Stats | None = None) -> None:
        self.tracker = tracker
        self.stats = stats or Stats()
        self.live: set[int] = set()
        self.retired: set[int] = set()
        self.warned: dict[str, int] = {}

    def fail(self, index: int, call: Call, what: str) -> None:
        raise InvariantError(f"call {index} ({call.kind}, on_invalid={call.on_invalid}): {what}")

    def __call__(self, index: int, call: Call) -> np.ndarray | None:
        """Run one call; returns the output, or ``None`` after a documented ValueError."""
        self.stats.calls += 1
        before = self.tracker.state_dict()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                out = update(self.tracker, call)
            except ValueError as error:
                self.stats.value_errors += 1
                if not same_state(before, self.tracker.state_dict()):
                    self.stats.state_changed_on_error += 1
                    self.fail(index, call, f"state changed by a raising call ({error})")
                if not call.must_raise:
                    self.fail(index, call, f"unexpected ValueError: {error}")
                return None
            except Exception as error:  # every other exception is a bug
                self.stats.undocumented += 1
                self.fail(index, call, f"undocumented {type(error).__name__}: {error}")
        if call.must_raise:
            self.fail(index, call, "bad input was accepted")
        for warning in caught:
            if issubclass(warning.category, InvalidDetectionsWarning):
                kind = warning.message.kind
                self.warned[kind] = self.warned.get(kind, 0) + 1
        self._check_output(index, call, out)
        return out

    def _check_output(self, index: int, call: Call, out: np.ndarray) -> None:
        rows = call.detections
        k = rows.shape[1] - 2  # box columns: 4 (xyxy) or 5 (xywhr)
        if out.ndim != 2 or out.shape[1] != k + 4:
            self.fail(index, call, f"output shape {out.shape}")
        det_index = out[:, -1].astype(np.int64)
        if np.any(np.diff(det_index) <= 0) or (len(out) and det_index.min() < 0):
            self.fail(index, call, "det_index not strictly increasing input rows")
        if len(np.intersect1d(det_index, call.dropped)):
            self.fail(index, call, "a dropped row was reported")
        ids = out[:, k].astype(np.int64)
        if len(set(ids.tolist())) != len(ids):
            self.stats.duplicate_ids += 1
            self.fail(index, call, f"duplicate ids in one frame: {sorted(ids.tolist())}")
        if np.any(ids < 1):
            self.fail(index, call, f"id below 1: {ids.tolist()}")
        source = rows[det_index]  # generated angles lie in (-pi, pi], which is kept exactly
        same = np.array_equal(out[:, :k], source[:, :k]) and np.array_equal(
            out[:, k + 1 : k + 3], source[:, k : k + 2]
        )
        if not same:
            self.fail(index, call, "an output row differs from its input row")
        tracks = [t.track_id for t in self.tracker.tracks if t.track_id > 0]
        if len(set(tracks)) != len(tracks):
            self.stats.duplicate_ids += 1
            self.fail(index, call, "two live tracks share an id")
        now = set(tracks) | set(ids.tolist())
        back = now & self.retired
        if back:
            self.stats.reused_ids += 1
            self.fail(index, call, f"retired ids came back: {sorted(back)}")
        self.retired |= self.live - now
        self.live = now


def run_checked(plan: Plan, stats: Stats | None = None) -> list[np.ndarray | None]:
    """Run a plan on a fresh tracker with every per-call invariant; returns the outputs."""
    checker = Checker(make_tracker(plan), stats)
    calls = build_calls(plan)
    outputs = [checker(i, call) for i, call in enumerate(calls)]
    if any(count > 1 for count in checker.warned.values()):
        raise InvariantError(f"a kind of bad input was warned about twice: {checker.warned}")
    return outputs


def same_outputs(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))
        for x, y in zip(a, b, strict=True)
    )


def check_replay(plan: Plan, cut: int, stats: Stats | None = None) -> None:
    """Determinism, ``state_dict`` resume and pickle round trip at call ``cut``: all three
    continue bit-identically to an uninterrupted run. Every call of every run goes through a
    :class:`Checker` too, so each one is checked for the per-call invariants."""
    calls = build_calls(plan)
    whole = run_checked(plan, stats)
    if not same_outputs(whole, run_checked(plan, stats)):
        raise InvariantError("two fresh trackers gave different outputs on the same stream")
    cut = min(cut, len(calls))
    first = Checker(make_tracker(plan), stats)
    for i in range(cut):
        first(i, calls[i])
    resumed = make_tracker(plan)
    resumed.load_state_dict(first.tracker.state_dict())
    for name, tracker in (
        ("state_dict", resumed),
        ("pickle", pickle.loads(pickle.dumps(first.tracker))),
    ):
        checker = Checker(tracker, stats)
        tail = [checker(i, calls[i]) for i in range(cut, len(calls))]
        if not same_outputs(whole[cut:], tail):
            raise InvariantError(f"after a {name} round trip at call {cut}, the outputs differ")

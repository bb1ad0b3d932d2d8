"""Fuzz every registered tracker with hostile detection streams and check its invariants.

The streams and checks are those of ``tests/fuzzing.py`` (the CI property tests run a bounded
number of them): empty frames, walking objects, duplicates, huge / tiny / extreme boxes, edge
scores, bursts, bad values that must raise (or be dropped with ``on_invalid="drop"``), random
and backwards timestamps, for axis-aligned ``(N, 6)`` and oriented ``(N, 7)`` boxes. Half the
streams are drawn with NumPy, the rest by hypothesis (which also shrinks a failure to a small
example). Every call checks: no exception but documented ``ValueError`` s, state unchanged by a
raising call, unique ids, no id reused, output rows equal to input rows; every stream runs five
times (two fresh trackers, a prefix, its ``state_dict`` resume and its unpickled copy), all
calls checked, and the outputs must agree bit for bit.

Target (issue 14): >= 100,000 ``update`` calls per tracker with 0 undocumented exceptions,
0 duplicate ids and 0 state changes on raising calls.

    python benchmarks/fuzz.py [--calls 100000] [--oriented-share 0.1] [--trackers sort,bytetrack]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fuzzing import (  # noqa: E402  (shared with the CI property tests)
    TRACKER_NAMES,
    Plan,
    Stats,
    check_replay,
    random_plan,
)

STREAM_LENGTH = 30


class Run:
    """Counts for one tracker and box kind."""

    def __init__(self) -> None:
        self.stats = Stats()
        self.hypothesis_calls = 0
        self.streams = 0
        self.failed_streams = 0
        self.first_failure = ""

    @property
    def calls(self) -> int:
        return self.stats.calls

    def stream(self, plan: Plan, cut: int) -> None:
        """Five checked runs of one stream: two fresh, a prefix, its resume and its unpickling."""
        self.streams += 1
        try:
            check_replay(plan, cut, self.stats)
        except Exception as error:  # an invariant, or an exception the checker let through
            self.failed_streams += 1
            self.first_failure = self.first_failure or f"{plan}: {error!r}"


def fuzz(tracker: str, box_kind: str, calls: int, seed: int) -> Run:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from test_properties import plans

    run = Run()
    rng = np.random.default_rng(seed)
    half = calls // 2
    while run.calls < half:
        run.stream(random_plan(rng, tracker, box_kind, STREAM_LENGTH), int(rng.integers(1, 30)))
    start = run.calls

    @settings(
        max_examples=25,  # per round; rounds repeat (with new random examples) until enough
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(plans(tracker, box_kind, STREAM_LENGTH), st.integers(1, STREAM_LENGTH))
    def explore(plan: Plan, cut: int) -> None:
        run.stream(plan, cut)

    while run.calls < calls:
        explore()
    run.hypothesis_calls = run.calls - start
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000, help="update calls per tracker")
    parser.add_argument(
        "--oriented-share",
        type=float,
        default=0.1,
        help="share of the calls on oriented boxes (rotated IoU is far slower per pair)",
    )
    parser.add_argument("--trackers", default=",".join(TRACKER_NAMES))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        "| tracker | boxes | update calls (all checked) | by hypothesis | streams | "
        "ValueErrors (expected) | undocumented exceptions | duplicate ids | "
        "state changed on raise | ids reused | failed streams | s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    failures = []
    for name in args.trackers.split(","):
        oriented = int(args.calls * args.oriented_share)
        for box_kind, calls in (("xyxy", args.calls - oriented), ("xywhr", oriented)):
            start = time.perf_counter()
            run = fuzz(name, box_kind, calls, args.seed)
            s = run.stats
            print(
                f"| {name} | {box_kind} | {s.calls:,} | {run.hypothesis_calls:,} | "
                f"{run.streams:,} | {s.value_errors:,} | {s.undocumented} | {s.duplicate_ids} | "
                f"{s.state_changed_on_error} | {s.reused_ids} | {run.failed_streams} | "
                f"{time.perf_counter() - start:.0f} |",
                flush=True,
            )
            if run.first_failure:
                failures.append(f"{name} {box_kind}: {run.first_failure}")
    for failure in failures:
        print(f"\nFAILED {failure}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()

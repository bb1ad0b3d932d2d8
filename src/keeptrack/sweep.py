"""Tracker x sequence jobs on MOTChallenge detections: track one sequence, score it.

``keeptrack bench`` and ``keeptrack eval`` with ``--workers`` / ``--executor ray``, and every
trial of ``keeptrack tune``, are lists of these jobs run by :mod:`keeptrack.executors`. A job
returns the sequence's raw metric results (:func:`keeptrack.eval.evaluate.evaluate_sequence`),
which the caller combines in sequence order with
:func:`keeptrack.eval.evaluate.summarize_sequences`: the numbers equal a serial run's exactly.

Workers keep loaded sequences in memory (:func:`load_sequence` is cached), so ``tune`` reads
each file once per worker, not once per trial.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from keeptrack.io.sequence import Sequence, resolve_cmc
from keeptrack.io.sequence import load_sequence as load_split

#: Which frames of a sequence are tracked and scored: all of them, the second half (MOT17's
#: val-half protocol: frames h+1..N renumbered 1..), or the first half (frames 1..h, where
#: changes are selected before the val half confirms them).
SPLITS = ("all", "val-half", "train-half")


def uses_box_filter(split: str) -> bool:
    """Whether results get ByteTrack's MOT17 output filter (w*h > 100, w/h <= 1.6): the
    half-split protocol includes it; full sequences (any data set) are scored as tracked."""
    return split != "all"


@lru_cache(maxsize=128)
def load_sequence(folder: str, split: str = "all", det_name: str = "det.txt") -> Sequence:
    """The one sequence loader (:func:`keeptrack.io.sequence.load_sequence`), cached per
    worker process so repeated jobs on a sequence read its files once."""
    return load_split(folder, split, det_name=det_name)


@dataclass(frozen=True)
class SequenceJob:
    """Track one sequence's detections with one tracker setting and score the result.

    Attributes:
        folder: The MOTChallenge sequence folder.
        split: One of :data:`SPLITS`.
        tracker: Registry name.
        params: Constructor arguments (``frame_rate`` defaults to ``seqinfo.ini``'s).
        benchmark: Scoring semantics (``mot17``, ``mot20``, ``plain``).
        results_path: Where to write the MOTChallenge results, if anywhere.
    """

    folder: str
    split: str
    tracker: str
    params: dict[str, Any] = field(default_factory=dict)
    benchmark: str = "mot17"
    results_path: str | None = None


@dataclass
class SequenceOutcome:
    """What a :class:`SequenceJob` returns.

    Attributes:
        name: Sequence name.
        metrics: Raw per-metric results, for :func:`keeptrack.eval.evaluate.summarize_sequences`.
        seconds: Time inside ``tracker.update`` (after a per-process warm-up).
        frames: Frames tracked.
    """

    name: str
    metrics: list[dict]
    seconds: float
    frames: int


_WARMED: set[str] = set()


def _tracker(job: SequenceJob, sequence: Sequence) -> Any:
    """The job's tracker for ``sequence`` (``cmc="file"`` replays its ``gmc.txt``)."""
    from keeptrack.batch import build_tracker

    return build_tracker(job.tracker, resolve_cmc(job.params, sequence), sequence.frame_rate)


def _warm_up(job: SequenceJob, sequence: Sequence) -> None:
    """The first update of a tracker in a process compiles (or loads from Numba's cache) its
    step; one untimed frame keeps that out of the measured speed, as serial ``bench`` does."""
    if job.tracker in _WARMED:
        return
    first = next((f for f in sequence.frames if len(f)), None)
    if first is not None:
        _tracker(job, sequence).update(first)
    _WARMED.add(job.tracker)


def track_and_score(job: SequenceJob) -> SequenceOutcome:
    """Run a :class:`SequenceJob` (in a worker)."""
    from keeptrack.benchmark import bytetrack_output_filter, track_detections
    from keeptrack.eval.evaluate import evaluate_sequence
    from keeptrack.io.mot import write_mot_results

    sequence = load_sequence(job.folder, job.split)
    _warm_up(job, sequence)
    rows, seconds = track_detections(_tracker(job, sequence), sequence.frames)
    if uses_box_filter(job.split):
        rows = bytetrack_output_filter(rows)
    if job.results_path is not None:
        write_mot_results(job.results_path, rows)
    assert sequence.gt is not None  # load_sequence reads gt/gt.txt or raises
    metrics = evaluate_sequence(sequence.gt, rows, sequence.length, job.benchmark, sequence.name)
    return SequenceOutcome(sequence.name, metrics, seconds, sequence.length)


def peak_memory_mb(job: SequenceJob) -> float:
    """tracemalloc's peak while tracking the job's sequence (a separate run: tracemalloc slows
    Python down, so it never shares a run with timing)."""
    from keeptrack.benchmark import track_detections

    sequence = load_sequence(job.folder, job.split)
    tracemalloc.start()
    try:
        track_detections(_tracker(job, sequence), sequence.frames)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@dataclass(frozen=True)
class ScoreJob:
    """Score rows already in memory (``keeptrack eval``): one sequence's GT and results."""

    name: str
    gt: np.ndarray
    results: np.ndarray
    length: int
    benchmark: str


def score_sequence(job: ScoreJob) -> list[dict]:
    """Raw metric results of a :class:`ScoreJob` (in a worker)."""
    from keeptrack.eval.evaluate import evaluate_sequence

    return evaluate_sequence(job.gt, job.results, job.length, job.benchmark, job.name)


def score_all(
    gt: dict[str, np.ndarray],
    results: dict[str, np.ndarray],
    lengths: dict[str, int],
    benchmark: str,
    runner: Any,
) -> dict[str, dict[str, float]]:
    """:func:`keeptrack.eval.evaluate_mot_sequences` with one job per sequence on ``runner``
    (a :class:`keeptrack.executors.JobRunner`); the same numbers, combined in ``gt``'s order.

    Raises:
        ValueError: For an unknown benchmark, no sequences, or a job's error (bad rows).
        KeyError: If a sequence has no results or no length.
    """
    from keeptrack.eval.data import BENCHMARKS
    from keeptrack.eval.evaluate import summarize_sequences

    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose one of {', '.join(BENCHMARKS)}")
    if not gt:
        raise ValueError("no sequences to evaluate")
    jobs = [ScoreJob(n, gt[n], results[n], int(lengths[n]), benchmark) for n in gt]
    raw = collect(dict(runner.map(score_sequence, jobs)), len(jobs))
    return summarize_sequences({job.name: r for job, r in zip(jobs, raw, strict=True)})


def collect(outcomes: dict[int, Any], count: int) -> list[Any]:
    """Results of ``count`` jobs in submission order; the first failure raises.

    Raises:
        ValueError: Naming the failed job's error (bench and eval need every sequence).
    """
    from keeptrack.executors import JobFailure

    ordered = [outcomes[i] for i in range(count)]
    for outcome in ordered:
        if isinstance(outcome, JobFailure):
            raise ValueError(outcome.error)
    return ordered

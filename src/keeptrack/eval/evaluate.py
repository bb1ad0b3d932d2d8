"""Score tracker output against MOTChallenge ground truth: the one entry point of keeptrack.eval.

The CLI (``keeptrack eval``, ``keeptrack bench``) and the benchmark scripts all call
:func:`evaluate_mot_sequences`, so there is exactly one code path from files to numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from keeptrack.eval.clear import CLEAR
from keeptrack.eval.count import Count
from keeptrack.eval.data import BENCHMARKS, preprocess
from keeptrack.eval.hota import HOTA
from keeptrack.eval.identity import Identity
from keeptrack.io.mot import check_mot_rows, read_mot_tracks

COMBINED = "COMBINED"
METRICS = (HOTA(), CLEAR(), Identity(), Count())


def evaluate_mot_sequences(
    gt: Mapping[str, np.ndarray],
    results: Mapping[str, str | Path | np.ndarray],
    lengths: Mapping[str, int],
    benchmark: str = "mot17",
) -> dict[str, dict[str, float]]:
    """HOTA, CLEAR, Identity and Count metrics per sequence and combined, equal to TrackEval's.

    Args:
        gt: Sequence name -> GT rows as :func:`keeptrack.io.mot.read_mot_file` returns them for
            a ``gt.txt`` (frames already ``1..length``).
        results: Sequence name -> results file, or rows ``[frame, id, left, top, width, height,
            score, ...]``. Every sequence in ``gt`` needs one; extra entries are ignored.
        lengths: Sequence name -> number of frames.
        benchmark: ``"mot17"`` (pedestrians, distractors removed), ``"mot20"`` (also class 6 as
            distractor) or ``"plain"`` (no classes; GT rows with flag 0 ignored).

    Returns:
        ``{sequence: metrics, ..., "COMBINED": metrics}`` with TrackEval's field names
        (``HOTA``, ``DetA``, ``AssA``, ``MOTA``, ``IDF1``, ``IDSW``, ``CLR_FP``, ...). Ratios are
        fractions in 0..1 (HOTA-family values averaged over the 19 alphas), counts are ints;
        ``FP``, ``FN`` and ``TP`` repeat ``CLR_FP``, ``CLR_FN`` and ``CLR_TP``.

    Raises:
        MOTFormatError: On invalid rows (frames outside ``1..length``, duplicate ids in a
            frame, ...), naming the file and line or the array and row.
        FileNotFoundError: If a results file is missing.
        KeyError: If a sequence has no results or no length.
    """
    if benchmark not in BENCHMARKS:
        raise ValueError(f"unknown benchmark {benchmark!r}; choose one of {', '.join(BENCHMARKS)}")
    if not gt:
        raise ValueError("no sequences to evaluate")
    per_sequence: dict[str, list[dict]] = {}
    for name, gt_rows in gt.items():
        for mapping, what in ((results, "results"), (lengths, "length")):
            if name not in mapping:
                raise KeyError(f"no {what} for sequence {name!r}")
        per_sequence[name] = evaluate_sequence(
            gt_rows, results[name], int(lengths[name]), benchmark, name
        )
    return summarize_sequences(per_sequence)


def evaluate_sequence(
    gt_rows: np.ndarray,
    results: str | Path | np.ndarray,
    length: int,
    benchmark: str,
    name: str,
) -> list[dict]:
    """The raw (combinable) metric results of one sequence, one dict per metric.

    Sequences are independent until they are combined, so parallel evaluation
    (:mod:`keeptrack.sweep`) runs this per sequence in workers and :func:`summarize_sequences`
    in the caller: the numbers are those of :func:`evaluate_mot_sequences`, bit for bit.
    """
    gt_rows = check_mot_rows(gt_rows, f"gt[{name!r}]", length, track_ids=True)
    if isinstance(results, (str, Path)):
        tracker_rows = read_mot_tracks(results, length)
    else:
        tracker_rows = check_mot_rows(results, f"results[{name!r}]", length, track_ids=True)
    data = preprocess(gt_rows, tracker_rows, length, benchmark, name)
    return [metric.eval_sequence(data) for metric in METRICS]


def summarize_sequences(per_sequence: Mapping[str, list[dict]]) -> dict[str, dict[str, float]]:
    """``{sequence: metrics, ..., "COMBINED": metrics}`` from :func:`evaluate_sequence` results,
    combined in the mapping's order."""
    out = {name: _summary(res) for name, res in per_sequence.items()}
    combined = [
        metric.combine_sequences({name: res[i] for name, res in per_sequence.items()})
        for i, metric in enumerate(METRICS)
    ]
    out[COMBINED] = _summary(combined)
    return out


def _summary(results: list[dict]) -> dict[str, float]:
    out: dict[str, float] = {}
    for metric, res in zip(METRICS, results, strict=True):
        out.update(metric.summary(res))
    out.update(TP=out["CLR_TP"], FP=out["CLR_FP"], FN=out["CLR_FN"])
    return out

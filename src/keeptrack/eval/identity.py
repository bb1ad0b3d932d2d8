"""Identity metrics (Ristani et al., ECCV 2016 workshops): IDF1, IDP, IDR, IDTP, IDFP, IDFN.

Each GT identity is paired with at most one tracker identity for the whole sequence (a single
Hungarian assignment over identities); a box counts as an identity true positive only when it
overlaps (IoU >= 0.5) a box of its paired identity. IDF1 therefore rewards a tracker for keeping
one name per person from the first frame to the last.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from keeptrack.eval.data import SequenceData
from keeptrack.eval.lsap import linear_sum_assignment
from keeptrack.eval.metric import Metric

THRESHOLD = 0.5
_COUNTS = ("IDTP", "IDFN", "IDFP")
_RATIOS = ("IDF1", "IDR", "IDP")


class Identity(Metric):
    """IDF1 and its parts."""

    integer_fields = _COUNTS
    float_fields = _RATIOS
    summary_fields = _RATIOS + _COUNTS

    def eval_sequence(self, data: SequenceData) -> dict[str, float]:
        """Identity results of one sequence."""
        res: dict[str, float] = dict.fromkeys(_COUNTS + _RATIOS, 0)
        if data.num_tracker_dets == 0:
            res["IDFN"] = data.num_gt_dets
            return res
        if data.num_gt_dets == 0:
            res["IDFP"] = data.num_tracker_dets
            return res

        n_gt, n_tracker = data.num_gt_ids, data.num_tracker_ids
        overlapping = data.similarity >= THRESHOLD
        cell = (
            data.gt_ids[data.pair_gt[overlapping]] * n_tracker
            + data.tracker_ids[data.pair_tracker[overlapping]]
        )
        potential = np.bincount(cell, minlength=n_gt * n_tracker).reshape(n_gt, n_tracker)
        gt_id_count = np.bincount(data.gt_ids, minlength=n_gt).astype(float)
        tracker_id_count = np.bincount(data.tracker_ids, minlength=n_tracker).astype(float)

        # Square cost over identities, each side padded with "unmatched" dummies: pairing GT
        # id g with tracker id k costs the boxes of either that do not overlap the other.
        # Built exactly as TrackEval does, so ties resolve identically.
        size = n_gt + n_tracker
        fp_mat = np.zeros((size, size))
        fn_mat = np.zeros((size, size))
        fp_mat[n_gt:, :n_tracker] = 1e10
        fn_mat[:n_gt, n_tracker:] = 1e10
        fn_mat[:n_gt, :n_tracker] = gt_id_count[:, None]
        fn_mat[np.arange(n_gt), n_tracker + np.arange(n_gt)] = gt_id_count
        fp_mat[:n_gt, :n_tracker] = tracker_id_count[None, :]
        fp_mat[n_gt + np.arange(n_tracker), np.arange(n_tracker)] = tracker_id_count
        fn_mat[:n_gt, :n_tracker] -= potential
        fp_mat[:n_gt, :n_tracker] -= potential
        rows, cols = linear_sum_assignment(fn_mat + fp_mat)

        res["IDFN"] = int(fn_mat[rows, cols].sum())
        res["IDFP"] = int(fp_mat[rows, cols].sum())
        res["IDTP"] = int(gt_id_count.sum()) - res["IDFN"]
        return _final_fields(res)

    def combine_sequences(self, all_res: Mapping[str, dict]) -> dict[str, float]:
        """Combine sequences: counts add up, ratios are recomputed."""
        return _final_fields({f: self._combine_sum(all_res, f) for f in _COUNTS})


def _final_fields(res: dict) -> dict:
    tp, fn, fp = res["IDTP"], res["IDFN"], res["IDFP"]
    res["IDR"] = tp / np.maximum(1.0, tp + fn)
    res["IDP"] = tp / np.maximum(1.0, tp + fp)
    res["IDF1"] = tp / np.maximum(1.0, tp + 0.5 * fp + 0.5 * fn)
    return res

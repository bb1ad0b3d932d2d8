"""HOTA: Higher Order Tracking Accuracy (Luiten et al., IJCV 2021), as TrackEval computes it.

HOTA balances detection and association: at each localisation threshold alpha,
``HOTA_alpha = sqrt(DetA_alpha * AssA_alpha)``, and the reported value is the mean over the 19
alphas 0.05, 0.10, ..., 0.95. Matching in each frame maximises ``IoU * A(gt_id, tracker_id)``,
where ``A`` is the global Jaccard alignment of the two identities over the whole sequence, so
the matching favours pairs that belong together across time, not just in the frame.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from keeptrack.eval.data import EPS, SequenceData
from keeptrack.eval.lsap import linear_sum_assignment
from keeptrack.eval.metric import Metric

ALPHAS = np.arange(0.05, 0.99, 0.05)
_COUNTS = ("HOTA_TP", "HOTA_FN", "HOTA_FP")
_ARRAYS = ("HOTA", "DetA", "AssA", "DetRe", "DetPr", "AssRe", "AssPr", "LocA", "OWTA")


class HOTA(Metric):
    """HOTA family: HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr, LocA (arrays over alphas)."""

    integer_array_fields = _COUNTS
    float_array_fields = _ARRAYS
    #: Scalars taken at the lowest alpha.
    float_fields = ("HOTA(0)", "LocA(0)", "HOTALocA(0)")
    summary_fields = _ARRAYS + float_fields

    def eval_sequence(self, data: SequenceData) -> dict[str, np.ndarray | float]:
        """Per-alpha HOTA results of one sequence."""
        res: dict[str, np.ndarray | float] = {f: np.zeros(len(ALPHAS)) for f in _ARRAYS + _COUNTS}
        res.update({f: 0.0 for f in self.float_fields})
        if data.num_tracker_dets == 0 or data.num_gt_dets == 0:
            # TrackEval returns early here, without the derived fields: keep its zeros.
            key = "HOTA_FN" if data.num_tracker_dets == 0 else "HOTA_FP"
            res[key] = np.full(len(ALPHAS), float(max(data.num_gt_dets, data.num_tracker_dets)))
            res["LocA"] = np.ones(len(ALPHAS))
            res["LocA(0)"] = 1.0
            return res

        n_gt, n_tracker = data.num_gt_ids, data.num_tracker_ids
        gt_id_count = np.bincount(data.gt_ids, minlength=n_gt).astype(float)[:, None]
        tracker_id_count = np.bincount(data.tracker_ids, minlength=n_tracker).astype(float)[None]

        # Global alignment: each pair's IoU normalised within its frame (a soft, per-frame
        # Jaccard), summed per identity pair over the sequence. Pairs with IoU 0 add nothing,
        # so only overlapping pairs are visited (in frame order, so sums match TrackEval's).
        sim = data.similarity
        nonzero = np.flatnonzero(sim)
        sim_nz = sim[nonzero]
        pair_gt, pair_tracker = data.pair_gt[nonzero], data.pair_tracker[nonzero]
        row_sum = np.bincount(pair_gt, weights=sim_nz, minlength=data.num_gt_dets)
        col_sum = np.bincount(pair_tracker, weights=sim_nz, minlength=data.num_tracker_dets)
        denominator = col_sum[pair_tracker] + row_sum[pair_gt] - sim_nz
        sim_iou = np.zeros_like(sim_nz)
        positive = denominator > 0 + EPS
        sim_iou[positive] = sim_nz[positive] / denominator[positive]
        cell = data.gt_ids[pair_gt] * n_tracker + data.tracker_ids[pair_tracker]
        potential = np.bincount(cell, weights=sim_iou, minlength=n_gt * n_tracker)
        potential = potential.reshape(n_gt, n_tracker)
        alignment = potential / (gt_id_count + tracker_id_count - potential)
        cost = np.zeros_like(sim)
        cost[nonzero] = -(alignment.ravel()[cell] * sim_nz)

        matched = [np.empty(0, np.int64)]
        frames = data.scored_frames()
        starts, ends = data.sim_bounds[frames].tolist(), data.sim_bounds[frames + 1].tolist()
        widths = np.diff(data.tracker_bounds)[frames].tolist()
        for start, end, width in zip(starts, ends, widths, strict=True):
            rows, cols = linear_sum_assignment(cost[start:end].reshape(-1, width))
            matched.append(start + rows * width + cols)
        pairs = np.concatenate(matched)
        matched_sim = sim[pairs]
        matched_cell = (
            data.gt_ids[data.pair_gt[pairs]] * n_tracker
            + data.tracker_ids[data.pair_tracker[pairs]]
        )

        above = matched_sim[None, :] >= ALPHAS[:, None] - EPS
        tp = above.sum(axis=1).astype(float)
        res["HOTA_TP"] = tp
        res["HOTA_FN"] = data.num_gt_dets - tp
        res["HOTA_FP"] = data.num_tracker_dets - tp
        loc_sum = np.where(above, matched_sim[None, :], 0.0).sum(axis=1)
        ass_a, ass_re, ass_pr = np.zeros(len(ALPHAS)), np.zeros(len(ALPHAS)), np.zeros(len(ALPHAS))
        for a in range(len(ALPHAS)):
            matches = np.bincount(matched_cell[above[a]], minlength=n_gt * n_tracker)
            matches = matches.reshape(n_gt, n_tracker).astype(float)
            union = np.maximum(1, gt_id_count + tracker_id_count - matches)
            weight = max(1.0, tp[a])
            ass_a[a] = np.sum(matches * (matches / union)) / weight
            ass_re[a] = np.sum(matches * (matches / np.maximum(1, gt_id_count))) / weight
            ass_pr[a] = np.sum(matches * (matches / np.maximum(1, tracker_id_count))) / weight
        res["AssA"], res["AssRe"], res["AssPr"] = ass_a, ass_re, ass_pr
        res["LocA"] = np.maximum(1e-10, loc_sum) / np.maximum(1e-10, tp)
        return _final_fields(res)

    def combine_sequences(self, all_res: Mapping[str, dict]) -> dict[str, np.ndarray | float]:
        """Combine sequences: counts add up, association and localisation scores are averaged
        weighted by each sequence's true positives (per alpha)."""
        res: dict[str, np.ndarray | float] = {f: self._combine_sum(all_res, f) for f in _COUNTS}
        for field in ("AssRe", "AssPr", "AssA"):
            res[field] = self._combine_weighted_av(all_res, field, res, "HOTA_TP")
        loc_sum = sum(all_res[k]["LocA"] * all_res[k]["HOTA_TP"] for k in all_res)
        res["LocA"] = np.maximum(1e-10, loc_sum) / np.maximum(1e-10, res["HOTA_TP"])
        return _final_fields(res)


def _final_fields(res: dict) -> dict:
    """Scores that follow from the counts and association terms (per sequence and combined)."""
    tp, fn, fp = res["HOTA_TP"], res["HOTA_FN"], res["HOTA_FP"]
    res["DetRe"] = tp / np.maximum(1, tp + fn)
    res["DetPr"] = tp / np.maximum(1, tp + fp)
    res["DetA"] = tp / np.maximum(1, tp + fn + fp)
    res["HOTA"] = np.sqrt(res["DetA"] * res["AssA"])
    res["OWTA"] = np.sqrt(res["DetRe"] * res["AssA"])
    res["HOTA(0)"] = float(res["HOTA"][0])
    res["LocA(0)"] = float(res["LocA"][0])
    res["HOTALocA(0)"] = res["HOTA(0)"] * res["LocA(0)"]
    return res

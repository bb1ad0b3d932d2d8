"""CLEAR MOT metrics (Bernardin and Stiefelhagen, 2008): MOTA, MOTP, IDSW, Frag, MT/PT/ML.

Each frame is matched at IoU >= 0.5, preferring to continue the previous frame's GT-tracker pairs
(a bonus of 1000 outweighs any IoU), then maximising IoU. Only that matching is sequential; the
counts that follow from it (switches, fragmentations, track coverage) are computed afterwards in
bulk from the list of matches.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from keeptrack.eval.data import EPS, SequenceData
from keeptrack.eval.lsap import linear_sum_assignment
from keeptrack.eval.metric import Metric

THRESHOLD = 0.5
_SUMMED = ("CLR_TP", "CLR_FN", "CLR_FP", "IDSW", "MT", "PT", "ML", "Frag", "CLR_Frames", "MOTP_sum")
_RATIOS = ("MOTA", "MOTP", "MODA", "CLR_Re", "CLR_Pr", "MTR", "PTR", "MLR", "sMOTA", "CLR_F1",
           "FP_per_frame", "MOTAL")  # fmt: skip


class CLEAR(Metric):
    """CLEAR MOT: MOTA, MOTP, MODA, IDSW, Frag, MT/PT/ML and their ratios."""

    integer_fields = _SUMMED[:-1]
    float_fields = _RATIOS + _SUMMED[-1:]
    summary_fields = _RATIOS + integer_fields

    def eval_sequence(self, data: SequenceData) -> dict[str, float]:
        """CLEAR results of one sequence."""
        res = dict.fromkeys(_SUMMED + _RATIOS, 0.0)
        if data.num_tracker_dets == 0:
            # TrackEval's early returns skip the derived fields; keep its values exactly.
            res.update(CLR_FN=data.num_gt_dets, ML=data.num_gt_ids, MLR=1.0)
            return res
        if data.num_gt_dets == 0:
            res.update(CLR_FP=data.num_tracker_dets, MLR=1.0)
            return res

        matched_gt, matched_tracker, matched_sim, step = self._match(data)
        n_gt = data.num_gt_ids
        res["CLR_TP"] = len(matched_gt)
        res["CLR_FN"] = data.num_gt_dets - len(matched_gt)
        res["CLR_FP"] = data.num_tracker_dets - len(matched_gt)
        res["MOTP_sum"] = float(matched_sim.sum())

        # Matches grouped by GT id, in time order within each id.
        order = np.argsort(matched_gt, kind="stable")
        gt_sorted, tracker_sorted, step_sorted = (
            matched_gt[order],
            matched_tracker[order],
            step[order],
        )
        same_gt = gt_sorted[1:] == gt_sorted[:-1]
        # An ID switch: a GT id matched to a different tracker id than at its last match,
        # however long ago that was.
        res["IDSW"] = int(np.sum(same_gt & (tracker_sorted[1:] != tracker_sorted[:-1])))
        # A fragment starts wherever a GT id is matched but was not in the previous scored frame.
        starts = len(gt_sorted) - int(np.sum(same_gt & (step_sorted[1:] == step_sorted[:-1] + 1)))
        res["Frag"] = starts - len(np.unique(matched_gt))

        gt_id_count = np.bincount(data.gt_ids, minlength=n_gt)
        matched_count = np.bincount(matched_gt, minlength=n_gt)
        present = gt_id_count > 0
        tracked_ratio = matched_count[present] / gt_id_count[present]
        res["MT"] = int(np.sum(tracked_ratio > 0.8))
        res["PT"] = int(np.sum(tracked_ratio >= 0.2)) - res["MT"]
        res["ML"] = n_gt - res["MT"] - res["PT"]
        res["CLR_Frames"] = data.num_timesteps
        return _final_fields(res)

    @staticmethod
    def _match(data: SequenceData) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Solve each frame's matching in time order.

        A frame whose candidate pairs (IoU >= 0.5) share no GT or tracker box needs no solver:
        every candidate is matched whatever the continuity bonus. Only frames with competing
        candidates run the Hungarian algorithm, with the bonus from the previous frame.

        Returns:
            Matched GT ids, tracker ids, IoUs, and the index of the scored frame (frames with
            both GT and tracker boxes) each match happened in. "Previous frame" means the
            previous scored frame, as in TrackEval, which skips the others entirely.
        """
        sim, sim_bounds = data.similarity, data.sim_bounds
        valid = sim >= THRESHOLD - EPS
        candidate = np.flatnonzero(valid)
        cand_bounds = np.searchsorted(candidate, sim_bounds)
        contested = np.zeros(data.num_timesteps, bool)
        for rows, bounds in (
            (data.pair_gt[candidate], data.gt_bounds),
            (data.pair_tracker[candidate], data.tracker_bounds),
        ):
            shared = np.flatnonzero(np.bincount(rows, minlength=bounds[-1]) > 1)
            contested[np.searchsorted(bounds, shared, side="right") - 1] = True

        scored = data.scored_frames()
        step_of_frame = np.full(data.num_timesteps, -1)
        step_of_frame[scored] = np.arange(len(scored))
        matched = [candidate[~contested[np.searchsorted(sim_bounds, candidate, "right") - 1]]]
        previous = np.full(data.num_gt_ids, -1)  # tracker id matched in the previous frame
        last_step, last_pairs = -2, np.empty(0, np.int64)
        for t in np.flatnonzero(contested):
            step = step_of_frame[t]
            if step == 0:
                last_pairs = np.empty(0, np.int64)
            elif step != last_step + 1:  # previous scored frame was uncontested: all matched
                before = scored[step - 1]
                last_pairs = candidate[cand_bounds[before] : cand_bounds[before + 1]]
            start, end = sim_bounds[t], sim_bounds[t + 1]
            g0, t0 = data.gt_bounds[t], data.tracker_bounds[t]
            width = data.tracker_bounds[t + 1] - t0
            gt_ids = data.gt_ids[g0 : data.gt_bounds[t + 1]]
            tracker_ids = data.tracker_ids[t0 : t0 + width]
            prev_gt = data.gt_ids[data.pair_gt[last_pairs]]
            previous[prev_gt] = data.tracker_ids[data.pair_tracker[last_pairs]]
            continuing = tracker_ids[None, :] == previous[gt_ids][:, None]
            previous[prev_gt] = -1
            similarity = sim[start:end].reshape(-1, width)
            score = np.where(valid[start:end].reshape(-1, width), 1000 * continuing + similarity, 0)
            rows, cols = linear_sum_assignment(-score)
            keep = score[rows, cols] > 0 + EPS
            last_pairs = start + rows[keep] * width + cols[keep]
            last_step = step
            matched.append(last_pairs)
        pairs = np.sort(np.concatenate(matched))  # pair order is time order
        step = step_of_frame[np.searchsorted(sim_bounds, pairs, "right") - 1]
        return (
            data.gt_ids[data.pair_gt[pairs]],
            data.tracker_ids[data.pair_tracker[pairs]],
            sim[pairs],
            step,
        )

    def combine_sequences(self, all_res: Mapping[str, dict]) -> dict[str, float]:
        """Combine sequences: every count (and the MOTP sum) adds up, ratios are recomputed."""
        return _final_fields({f: self._combine_sum(all_res, f) for f in _SUMMED})


def _final_fields(res: dict) -> dict:
    """Ratios that follow from the counts (per sequence and combined)."""
    tp, fn, fp, idsw = res["CLR_TP"], res["CLR_FN"], res["CLR_FP"], res["IDSW"]
    num_gt_ids = res["MT"] + res["ML"] + res["PT"]
    res["MTR"] = res["MT"] / np.maximum(1.0, num_gt_ids)
    res["MLR"] = res["ML"] / np.maximum(1.0, num_gt_ids)
    res["PTR"] = res["PT"] / np.maximum(1.0, num_gt_ids)
    res["CLR_Re"] = tp / np.maximum(1.0, tp + fn)
    res["CLR_Pr"] = tp / np.maximum(1.0, tp + fp)
    res["MODA"] = (tp - fp) / np.maximum(1.0, tp + fn)
    res["MOTA"] = (tp - fp - idsw) / np.maximum(1.0, tp + fn)
    res["MOTP"] = res["MOTP_sum"] / np.maximum(1.0, tp)
    res["sMOTA"] = (res["MOTP_sum"] - fp - idsw) / np.maximum(1.0, tp + fn)
    res["CLR_F1"] = tp / np.maximum(1.0, tp + 0.5 * fn + 0.5 * fp)
    res["FP_per_frame"] = fp / np.maximum(1.0, res["CLR_Frames"])
    safe_log_idsw = np.log10(idsw) if idsw > 0 else idsw
    res["MOTAL"] = (tp - fp - safe_log_idsw) / np.maximum(1.0, tp + fn)
    return res

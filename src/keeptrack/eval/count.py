"""Counts of boxes and identities after preprocessing: the denominators behind every metric."""

from __future__ import annotations

from collections.abc import Mapping

from keeptrack.eval.data import SequenceData
from keeptrack.eval.metric import Metric

_FIELDS = ("Dets", "GT_Dets", "IDs", "GT_IDs", "Frames")


class Count(Metric):
    """Tracker and GT boxes (``Dets``, ``GT_Dets``), identities (``IDs``, ``GT_IDs``) and
    ``Frames`` (TrackEval reports the last per sequence only; here it also adds up)."""

    integer_fields = _FIELDS
    summary_fields = _FIELDS

    def eval_sequence(self, data: SequenceData) -> dict[str, int]:
        """Counts of one sequence."""
        return {
            "Dets": data.num_tracker_dets,
            "GT_Dets": data.num_gt_dets,
            "IDs": data.num_tracker_ids,
            "GT_IDs": data.num_gt_ids,
            "Frames": data.num_timesteps,
        }

    def combine_sequences(self, all_res: Mapping[str, dict]) -> dict[str, int]:
        """Combine sequences by summing (identities are per sequence, so they add up too)."""
        return {f: self._combine_sum(all_res, f) for f in _FIELDS}

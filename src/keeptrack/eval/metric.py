"""The interface every metric shares: the small part of TrackEval's ``_BaseMetric`` keeptrack uses.

Why TrackEval's shape: the numbers must equal TrackEval's, so each metric is written as its
TrackEval counterpart is (``eval_sequence`` on one preprocessed sequence, ``combine_sequences``
over ``{sequence: result}``), field kinds declared the same way, and the combination helpers
(:meth:`Metric._combine_sum`, :meth:`Metric._combine_weighted_av`) add up in TrackEval's order.
Anyone checking a metric against TrackEval reads the same structure on both sides.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np

from keeptrack.eval.data import SequenceData


class Metric(ABC):
    """One metric family: per-sequence evaluation, combination, and the reported fields.

    Attributes:
        integer_fields: Counts (reported as ints).
        float_fields: Scalar ratios and sums.
        integer_array_fields: Per-alpha counts (HOTA), internal.
        float_array_fields: Per-alpha scores (HOTA), reported as their mean over the alphas.
        summary_fields: What :meth:`summary` reports, in this order.
    """

    integer_fields: tuple[str, ...] = ()
    float_fields: tuple[str, ...] = ()
    integer_array_fields: tuple[str, ...] = ()
    float_array_fields: tuple[str, ...] = ()
    summary_fields: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field :meth:`eval_sequence` returns (TrackEval's ``fields``)."""
        return (
            self.integer_fields
            + self.float_fields
            + self.integer_array_fields
            + self.float_array_fields
        )

    @classmethod
    def get_name(cls) -> str:
        """The metric's name, as TrackEval reports it (``HOTA``, ``CLEAR``, ...)."""
        return cls.__name__

    @abstractmethod
    def eval_sequence(self, data: SequenceData) -> dict[str, Any]:
        """Every field of one preprocessed sequence."""

    @abstractmethod
    def combine_sequences(self, all_res: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        """Every field over several sequences, from their :meth:`eval_sequence` results."""

    def summary(self, res: Mapping[str, Any]) -> dict[str, float]:
        """The reported values: array fields averaged over the alphas (as TrackEval prints
        them), counts as ints, the rest as floats (ratios in 0..1)."""
        out: dict[str, float] = {}
        for field in self.summary_fields:
            if field in self.float_array_fields:
                out[field] = float(np.mean(res[field]))
            elif field in self.integer_fields:
                out[field] = int(res[field])
            else:
                out[field] = float(res[field])
        return out

    @staticmethod
    def _combine_sum(all_res: Mapping[str, Mapping[str, Any]], field: str) -> Any:
        """``field`` summed over the sequences."""
        return sum(all_res[k][field] for k in all_res)

    @staticmethod
    def _combine_weighted_av(
        all_res: Mapping[str, Mapping[str, Any]],
        field: str,
        comb_res: Mapping[str, Any],
        weight_field: str,
    ) -> Any:
        """``field`` averaged over the sequences, weighted by ``weight_field`` (whose combined
        value is already in ``comb_res``)."""
        total = sum(all_res[k][field] * all_res[k][weight_field] for k in all_res)
        return total / np.maximum(1.0, comb_res[weight_field])

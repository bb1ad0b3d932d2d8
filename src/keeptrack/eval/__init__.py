"""TrackEval-exact evaluation: HOTA, CLEAR (MOTA), Identity (IDF1) and counts.

One metric per module (:mod:`~keeptrack.eval.hota`, :mod:`~keeptrack.eval.clear`,
:mod:`~keeptrack.eval.identity`, :mod:`~keeptrack.eval.count`), the MOTChallenge preprocessing
in :mod:`~keeptrack.eval.data`, and one entry point, :func:`evaluate_mot_sequences`.
"""

from keeptrack.eval.evaluate import COMBINED, evaluate_mot_sequences

__all__ = ["COMBINED", "evaluate_mot_sequences"]

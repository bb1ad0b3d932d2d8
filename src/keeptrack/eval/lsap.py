"""SciPy's ``linear_sum_assignment`` without the 0.3 s import of ``scipy.optimize``.

The metrics must match TrackEval exactly, ties included, so they use the very solver TrackEval
uses: SciPy's compiled ``_lsap`` extension. ``from scipy.optimize import ...`` runs the whole
``scipy.optimize`` package first (linprog, linalg, fft, special: about 0.3 s, a third of a
``keeptrack eval`` run), although the solver is one self-contained C extension that needs only
NumPy. This module loads that extension file directly and falls back to the public import
wherever the file is not where SciPy keeps it, so the result is the same function either way.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def _load() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    import scipy  # the top-level package alone is cheap

    folder = Path(scipy.__file__).parent / "optimize"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"_lsap{suffix}"
        if not path.is_file():
            continue
        name = f"{__name__}._lsap"  # its own name: scipy.optimize stays unimported
        loader = importlib.machinery.ExtensionFileLoader(name, str(path))
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        if spec is None:
            break
        try:
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            return module.linear_sum_assignment
        except (ImportError, AttributeError):
            break
    from scipy.optimize import linear_sum_assignment

    return linear_sum_assignment


_solver = _load()


def linear_sum_assignment(cost: Any, maximize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``scipy.optimize.linear_sum_assignment(cost, maximize)``: the same rows and columns."""
    return _solver(cost, maximize)

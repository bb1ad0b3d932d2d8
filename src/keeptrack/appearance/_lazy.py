"""Lazy imports of optional heavy dependencies, with an error that says what to install."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise an ImportError naming the keeptrack extra that provides it.

    Any exception raised while importing counts as missing: a broken install (for example a
    torchvision built for a different torch, which makes ``import timm`` fail with a
    ``RuntimeError``) is as unusable as an absent one, and the user needs the same advice.
    """
    try:
        return importlib.import_module(module)
    except Exception as error:
        raise ImportError(
            f"{module} is required for this feature but could not be imported ({error}); "
            f'install it with: pip install "keeptrack[{extra}]"'
        ) from error


def check_installed(modules: tuple[str, ...], extra: str, what: str) -> None:
    """Raise an ImportError naming ``extra`` unless every module in ``modules`` is installed.

    Only looks the modules up (no import, so it costs microseconds): objects that need a heavy
    dependency later call it in their constructor and fail once, at construction, instead of
    on every use.
    """
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise ImportError(
            f"{what} needs {', '.join(missing)}, which is not installed; install it with: "
            f'pip install "keeptrack[{extra}]"'
        )

"""Errors and warnings of the edge runtime."""

from __future__ import annotations

import warnings
from typing import Callable

from aeib.errors import AeibError

WarnFn = Callable[[str], None]
"""Where the runtime reports recoverable problems (short input, silence, padding): one line each."""


class ModelError(AeibError):
    """A model bundle is missing, corrupt, inconsistent, or no interpreter can run it."""


class AeibWarning(UserWarning):
    """Category of the warnings the runtime emits when no ``warn`` callback is given."""


def default_warn(message: str) -> None:
    """Report ``message`` through :mod:`warnings` (the library default; the CLI prints to stderr)."""
    warnings.warn(message, AeibWarning, stacklevel=3)

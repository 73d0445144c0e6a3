"""How the edge runtime reports problems: its warning callback. The error classes are in
:mod:`aeib.errors` (``ModelError`` and ``AeibWarning`` are importable from here too)."""

from __future__ import annotations

import warnings
from typing import Callable

from aeib.errors import AeibWarning, ModelError  # re-exported (defined in aeib.errors): see __all__

WarnFn = Callable[[str], None]
"""Where the runtime reports recoverable problems (short input, silence, padding): one line each."""


def default_warn(message: str) -> None:
    """Report ``message`` through :mod:`warnings` (the library default; the CLI prints to stderr)."""
    warnings.warn(message, AeibWarning, stacklevel=3)


__all__ = ["AeibWarning", "ModelError", "WarnFn", "default_warn"]

"""TensorFlow-free DSP core: parameter schema, parametric EQ, compressor, safety limiter, chain.

Only numpy, scipy and numba are imported here, so the edge runtime can use it without TensorFlow.
"""

import os
import tempfile


def _ensure_numba_cache_dir() -> None:
    """Give numba a private cache folder when it would have none.

    ``numba.njit(cache=True)`` raises at import time when neither the package folder nor the user's
    cache folder is writable (a read-only install used by an account without a writable home).
    """
    import numba
    from numba.misc.appdirs import AppDirs

    # numba.config sets its settings as module globals at run time, so type checkers do not see them.
    if numba.config.CACHE_DIR:  # type: ignore[attr-defined]
        return

    def can_create_in(folder: str) -> bool:
        while not os.path.exists(folder):
            parent = os.path.dirname(folder)
            if parent == folder:
                return False
            folder = parent
        return os.access(folder, os.W_OK | os.X_OK)

    def user_cache_dir() -> str:
        return str(AppDirs(appname="numba", appauthor=False).user_cache_dir)  # type: ignore[no-untyped-call]

    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "__pycache__")
    if not (can_create_in(here) or can_create_in(user_cache_dir())):
        user = os.getuid() if hasattr(os, "getuid") else "user"
        cache_dir = os.path.join(tempfile.gettempdir(), f"aeib-numba-{user}")
        numba.config.CACHE_DIR = cache_dir  # type: ignore[attr-defined]


_ensure_numba_cache_dir()

# Imported after the cache folder is set (numba reads it when the jitted modules load); E402 is off for this file.
from aeib.dsp.chain import CHAIN_SCHEMA, DEFAULT_CHAIN, ChainProcessor, build_schema, process, process_normalized
from aeib.dsp.eq import EQ_BANDS, NYQUIST_FRACTION, EQBand, band_frequency_cap_hz
from aeib.dsp.processor import Processor, register_processor, registered_processors
from aeib.dsp.schema import ParameterSchema, ParamSpec

__all__ = [
    "CHAIN_SCHEMA",
    "DEFAULT_CHAIN",
    "EQ_BANDS",
    "NYQUIST_FRACTION",
    "ChainProcessor",
    "EQBand",
    "ParamSpec",
    "ParameterSchema",
    "Processor",
    "band_frequency_cap_hz",
    "build_schema",
    "process",
    "process_normalized",
    "register_processor",
    "registered_processors",
]

"""A faster first numba call for the short-lived ``aeib enhance`` / ``aeib apply`` processes.

When numba first loads a cached kernel, it imports its NumPy support module, which probes for BLAS by
importing ``scipy.linalg`` — about 0.3 s on the development machine (issue 15; measured with
``python -X importtime``), for kernels (aeib's biquads, compressor and limiter) that use no BLAS. In a
command process aeib owns the whole interpreter, so it can let that probe fail: numba then records
"no BLAS" (``numba.np.arraymath._HAVE_BLAS``), which only matters to jitted code calling ``np.dot`` or
``np.linalg`` — none in aeib. ``scipy.linalg`` itself stays importable afterwards. In the same way
numba's CFFI support (``numba.core.typing.cffi_utils``) imports ``cffi`` and builds an ``FFI`` —
pycparser and all — for jitted code that calls CFFI functions, which aeib's never do:
it is loaded with ``cffi`` missing, so numba records "no CFFI" (``cffi_utils.SUPPORTED``); ``cffi``
stays importable afterwards (soundfile's compiled binding does not import it). And ``import numba``
itself imports scipy only to check its version (:func:`import_numba_without_scipy`). The library
(:mod:`aeib.dsp`, :mod:`aeib.runtime`, :mod:`aeib.api`) never does this: an application that imports
aeib keeps numba's BLAS support.
"""

from __future__ import annotations

import sys

_BLAS_PROBE = "scipy.linalg.cython_blas"


def import_numba_without_scipy() -> None:
    """Import numba with its version check of scipy failing fast, when neither is loaded yet.

    ``import numba`` imports scipy only to refuse versions older than 1.0 (15 ms of the ~210 ms that
    numba's import takes, ``python -X importtime -c "import numba"``); numba's other uses of scipy
    (its BLAS and LAPACK bindings for jitted ``np.linalg``) import it when they are first needed, so
    ``scipy`` stays importable afterwards. The commands' DSP never uses scipy.
    """
    if "numba" in sys.modules or "scipy" in sys.modules:
        return
    sys.modules["scipy"] = None  # type: ignore[assignment]  # makes `import scipy` fail
    try:
        import numba  # noqa: F401
    finally:
        del sys.modules["scipy"]


def start_numba_without_blas_probe() -> None:
    """Import numba's NumPy and CFFI support with its BLAS probe and ``cffi`` failing fast (see the
    module docstring).

    Does nothing if numba's NumPy support or ``scipy.linalg`` is already loaded (the probe then costs
    nothing or has already run); leaves numba's CFFI support alone if it or ``cffi`` is loaded.
    """
    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules or _BLAS_PROBE in sys.modules:
        return
    sys.modules[_BLAS_PROBE] = None  # type: ignore[assignment]  # makes `import scipy.linalg.cython_blas` fail
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules[_BLAS_PROBE]
    if "numba.core.typing.cffi_utils" in sys.modules or "cffi" in sys.modules:
        return
    sys.modules["cffi"] = None  # type: ignore[assignment]  # makes `import cffi` fail
    try:
        import numba.core.typing.cffi_utils  # noqa: F401
    finally:
        del sys.modules["cffi"]

"""Fast cascade of biquads (transposed direct form II), bit-identical to ``scipy.signal.sosfilt``.

scipy is not imported: ``scipy.signal`` takes about half a second to import, more than a short file
takes to enhance, so every cascade (any number of sections) runs here.

A cascade filtered section after section is limited by each section's feedback latency. For the
six-section EQ this module instead runs the sections as a pipeline: at time step ``k`` section
``s`` processes sample ``k − s``, so the six recursions are independent within a step and the CPU
overlaps them. The arithmetic per sample and section is exactly sosfilt's, so results are identical.
"""

from __future__ import annotations

import numba
import numpy as np

PIPELINED_SECTIONS = 6


@numba.njit(nogil=True, inline="always")
def biquad_step(v: float, sos: np.ndarray, s: int, z0: float, z1: float) -> tuple[float, float, float]:
    """One sample ``v`` through section ``s`` of ``sos`` (float64[sections, 6]) with memories ``z0, z1``:
    returns ``(y, z0, z1)`` after it, sosfilt's arithmetic in sosfilt's order."""
    y = sos[s, 0] * v + z0
    return y, sos[s, 1] * v - sos[s, 4] * y + z1, sos[s, 2] * v - sos[s, 5] * y


@numba.njit(cache=True, nogil=True)
def _cascade6(x: np.ndarray, sos: np.ndarray, zi: np.ndarray, out: np.ndarray) -> None:
    """Six-section cascade over x: float64[samples, channels]; updates zi[6, channels, 2] in place."""
    n = x.shape[0]
    for c in range(x.shape[1]):
        z00, z01 = zi[0, c, 0], zi[0, c, 1]
        z10, z11 = zi[1, c, 0], zi[1, c, 1]
        z20, z21 = zi[2, c, 0], zi[2, c, 1]
        z30, z31 = zi[3, c, 0], zi[3, c, 1]
        z40, z41 = zi[4, c, 0], zi[4, c, 1]
        z50, z51 = zi[5, c, 0], zi[5, c, 1]
        # p_s: output of section s-1 waiting to enter section s. y_s: output of section s.
        p1 = p2 = p3 = p4 = p5 = 0.0
        y0 = y1 = y2 = y3 = y4 = y5 = 0.0
        for k in range(n + 5):
            if 5 <= k < n:  # steady state: every section busy, no branches below
                y0, z00, z01 = biquad_step(x[k, c], sos, 0, z00, z01)
                y1, z10, z11 = biquad_step(p1, sos, 1, z10, z11)
                y2, z20, z21 = biquad_step(p2, sos, 2, z20, z21)
                y3, z30, z31 = biquad_step(p3, sos, 3, z30, z31)
                y4, z40, z41 = biquad_step(p4, sos, 4, z40, z41)
                y5, z50, z51 = biquad_step(p5, sos, 5, z50, z51)
                out[k - 5, c] = y5
            else:  # filling or draining the pipeline: section s works on sample k - s if it exists
                if k < n:
                    y0, z00, z01 = biquad_step(x[k, c], sos, 0, z00, z01)
                if 0 <= k - 1 < n:
                    y1, z10, z11 = biquad_step(p1, sos, 1, z10, z11)
                if 0 <= k - 2 < n:
                    y2, z20, z21 = biquad_step(p2, sos, 2, z20, z21)
                if 0 <= k - 3 < n:
                    y3, z30, z31 = biquad_step(p3, sos, 3, z30, z31)
                if 0 <= k - 4 < n:
                    y4, z40, z41 = biquad_step(p4, sos, 4, z40, z41)
                if 0 <= k - 5 < n:
                    y5, z50, z51 = biquad_step(p5, sos, 5, z50, z51)
                    out[k - 5, c] = y5
            p5, p4, p3, p2, p1 = y4, y3, y2, y1, y0
        zi[0, c, 0], zi[0, c, 1] = z00, z01
        zi[1, c, 0], zi[1, c, 1] = z10, z11
        zi[2, c, 0], zi[2, c, 1] = z20, z21
        zi[3, c, 0], zi[3, c, 1] = z30, z31
        zi[4, c, 0], zi[4, c, 1] = z40, z41
        zi[5, c, 0], zi[5, c, 1] = z50, z51


@numba.njit(cache=True, nogil=True)
def _cascade(x: np.ndarray, sos: np.ndarray, zi: np.ndarray, out: np.ndarray) -> None:
    """Any number of sections, section after section per sample (sosfilt's order of operations)."""
    for c in range(x.shape[1]):
        for k in range(x.shape[0]):
            v = x[k, c]
            for s in range(sos.shape[0]):
                v, zi[s, c, 0], zi[s, c, 1] = biquad_step(v, sos, s, zi[s, c, 0], zi[s, c, 1])
            out[k, c] = v


def sos_filter(sos: np.ndarray, x: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filter ``x`` with a cascade of second-order sections, carrying state.

    Args:
        sos: float64[sections, 6] rows (b0, b1, b2, 1, a1, a2), as from scipy.
        x: float64[samples, channels].
        zi: float64[sections, channels, 2] filter memories (the state before ``x``).

    Returns:
        ``(y, zf)``: filtered float64[samples, channels] and the state after ``x``.
    """
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    if x.shape[0] == 0:
        return np.array(x, dtype=np.float64), np.array(zi, dtype=np.float64)
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    zf = np.array(zi, dtype=np.float64, copy=True)
    (_cascade6 if sos.shape[0] == PIPELINED_SECTIONS else _cascade)(x, sos, zf, out)
    return out, zf

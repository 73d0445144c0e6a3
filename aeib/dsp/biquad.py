"""Fast cascade of biquads (transposed direct form II), bit-identical to ``scipy.signal.sosfilt``.

scipy is not imported: ``scipy.signal`` takes about half a second to import, more than a short file
takes to enhance, so every cascade (any number of sections) runs here.

A cascade filtered section after section is limited by each section's feedback latency. For the
six-section EQ this module instead runs the sections as a pipeline: at time step ``k`` section
``s`` processes sample ``k − s``, so the six recursions are independent within a step and the CPU
overlaps them; the channels go through two at a time, two pipelines in one loop (twelve
independent recursions per step). The arithmetic per sample and section is exactly sosfilt's, so
results are identical.
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


@numba.njit(nogil=True, inline="always")
def _section(run: bool, v: float, sos: np.ndarray, s: int, z0: float, z1: float,
             idle: float) -> tuple[float, float, float]:
    """:func:`biquad_step` if ``run``, else ``(idle, z0, z1)``: the section waits, memories untouched."""
    return biquad_step(v, sos, s, z0, z1) if run else (idle, z0, z1)


@numba.njit(nogil=True, inline="always")
def _pipeline_step(v: float, sos: np.ndarray, z: tuple[float, ...], p: tuple[float, ...], first: int,
                   last: int) -> tuple[float, tuple[float, ...], tuple[float, ...]]:
    """One time step of one channel's six-section pipeline; only sections ``first…last`` run.

    Section 0 takes ``v``, section ``s`` the output ``p[s - 1]`` of section ``s - 1`` one step earlier.
    ``z``: the 12 memories (z0, z1 of each section). Returns section 5's output, ``z`` and ``p`` after it.
    """
    y0, a0, b0 = _section(first <= 0, v, sos, 0, z[0], z[1], p[0])
    y1, a1, b1 = _section(first <= 1 <= last, p[0], sos, 1, z[2], z[3], p[1])
    y2, a2, b2 = _section(first <= 2 <= last, p[1], sos, 2, z[4], z[5], p[2])
    y3, a3, b3 = _section(first <= 3 <= last, p[2], sos, 3, z[6], z[7], p[3])
    y4, a4, b4 = _section(first <= 4 <= last, p[3], sos, 4, z[8], z[9], p[4])
    y5, a5, b5 = _section(last >= 5, p[4], sos, 5, z[10], z[11], 0.0)
    return y5, (a0, b0, a1, b1, a2, b2, a3, b3, a4, b4, a5, b5), (y0, y1, y2, y3, y4)


@numba.njit(nogil=True, inline="always")
def _memories(zi: np.ndarray, c: int) -> tuple[float, ...]:
    """Channel ``c``'s memories of float64[6, channels, 2] as the 12-tuple of :func:`_pipeline_step`."""
    return (zi[0, c, 0], zi[0, c, 1], zi[1, c, 0], zi[1, c, 1], zi[2, c, 0], zi[2, c, 1],
            zi[3, c, 0], zi[3, c, 1], zi[4, c, 0], zi[4, c, 1], zi[5, c, 0], zi[5, c, 1])


@numba.njit(nogil=True, inline="always")
def _store_memories(zi: np.ndarray, c: int, z: tuple[float, ...]) -> None:
    """Write the 12-tuple ``z`` back as channel ``c``'s memories."""
    for s in range(PIPELINED_SECTIONS):
        zi[s, c, 0], zi[s, c, 1] = z[2 * s], z[2 * s + 1]


@numba.njit(nogil=True)
def _pipeline(x: np.ndarray, sos: np.ndarray, zi: np.ndarray, out: np.ndarray, c: int, pair: bool) -> None:
    """Channel ``c`` (and ``c + 1`` if ``pair``: two independent pipelines in one loop, twelve
    recursions per step for the CPU to overlap) through the six-section pipeline."""
    n = x.shape[0]
    d = c + 1 if pair else c
    zl, zr = _memories(zi, c), _memories(zi, d)
    pl: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0, 0.0)
    pr = pl
    for k in range(n + 5):
        if 5 <= k < n:  # steady state: every section busy, no branches below
            yl, zl, pl = _pipeline_step(x[k, c], sos, zl, pl, 0, 5)
            out[k - 5, c] = yl
            if pair:
                yr, zr, pr = _pipeline_step(x[k, d], sos, zr, pr, 0, 5)
                out[k - 5, d] = yr
        else:  # filling or draining the pipeline: section s works on sample k - s if it exists
            first, last = max(0, k - n + 1), min(5, k)
            yl, zl, pl = _pipeline_step(x[k, c] if k < n else 0.0, sos, zl, pl, first, last)
            if pair:
                yr, zr, pr = _pipeline_step(x[k, d] if k < n else 0.0, sos, zr, pr, first, last)
            if last == 5:
                out[k - 5, c] = yl
                if pair:
                    out[k - 5, d] = yr
    _store_memories(zi, c, zl)
    if pair:
        _store_memories(zi, d, zr)


@numba.njit(cache=True, nogil=True)
def _cascade6(x: np.ndarray, sos: np.ndarray, zi: np.ndarray, out: np.ndarray) -> None:
    """Six-section cascade over x: float64[samples, channels]; updates zi[6, channels, 2] in place.

    Channels go through in pairs (a stereo block in one loop), an odd last one alone.
    """
    channels = x.shape[1]
    for c in range(0, channels - 1, 2):
        _pipeline(x, sos, zi, out, c, True)
    if channels % 2:
        _pipeline(x, sos, zi, out, channels - 1, False)


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

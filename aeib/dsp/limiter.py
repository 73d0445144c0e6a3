"""Output safety limiter: fixed settings, not predicted, not in the parameter schema.

It keeps every sample at or below :data:`CEILING_DBFS` and does nothing at all while the signal
stays below it. Gain is computed from the loudest channel (stereo-linked) with instant attack —
the gain drops exactly as far as the current sample needs — and recovers towards unity with a
one-pole release of :data:`RELEASE_MS`. It is causal and has no lookahead, so streaming output
equals whole-file output.
"""

from __future__ import annotations

import math

import numba
import numpy as np

CEILING_DBFS = -0.3
RELEASE_MS = 50.0


@numba.njit(cache=True, nogil=True)
def _limit(block: np.ndarray, ceiling: float, release_coef: float, state: float, out: np.ndarray) -> float:
    """Limit float64[samples, channels] into ``out``; returns the final gain state."""
    g = state
    n, channels = block.shape
    for i in range(n):
        g = 1.0 - (1.0 - g) * release_coef  # recover towards unity
        p = abs(block[i, 0])
        for c in range(1, channels):
            p = max(p, abs(block[i, c]))
        if p * g > ceiling:
            g = ceiling / p
        for c in range(channels):
            # min/max guard against a one-ulp overshoot of the product
            out[i, c] = min(max(block[i, c] * g, -ceiling), ceiling)
    return g


@numba.njit(cache=True, nogil=True)
def _exceeds(block: np.ndarray, ceiling: float) -> bool:
    """True if any |sample| of the block is above ``ceiling``."""
    flat = block.ravel()
    for i in range(flat.shape[0]):
        if abs(flat[i]) > ceiling:
            return True
    return False


class SafetyLimiter:
    """Stateful peak limiter.

    Args:
        sample_rate: Sample rate in Hz.
        ceiling_dbfs: Highest allowed sample magnitude in dBFS.
        release_ms: Time constant of the recovery towards unity gain.
    """

    def __init__(self, sample_rate: float, ceiling_dbfs: float = CEILING_DBFS, release_ms: float = RELEASE_MS):
        self.ceiling = 10.0 ** (ceiling_dbfs / 20.0)
        self.release_coef = math.exp(-1000.0 / (release_ms * sample_rate))
        self.reset()

    def reset(self) -> None:
        self._gain = 1.0

    def process_block(self, block: np.ndarray) -> np.ndarray:
        """Limit one float64[samples, channels] block."""
        if self._gain == 1.0 and not _exceeds(block, self.ceiling):
            return block  # nothing to limit and nothing left to release: exactly the identity
        out = np.empty_like(block)
        self._gain = _limit(block, self.ceiling, self.release_coef, self._gain, out)
        return out

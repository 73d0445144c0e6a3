"""Click-free parameter changes: the chain glides to new settings in small steps.

The chain switches parameters at block boundaries. A large switch in one go is audible: a makeup
step of 1 dB is a 12 % jump of the waveform, an EQ coefficient switch a small transient. So a change
is split into steps of at most :data:`MAX_STEP01` in normalized units (0.002 is 0.07 dB of an EQ
gain or the makeup, 0.6 % of a band frequency): a block whose setting moves further than that is
processed in several pieces, each a little further along the straight line (in normalized units)
from the previous setting to the block's target. Changes smaller than :data:`MIN_STEP01` are held
back until they add up, so a slowly drifting setting does not pay for a coefficient update on every
block. Used by adaptive :func:`~aeib.runtime.enhance.enhance_file` and by
:class:`~aeib.runtime.stream.StreamEnhancer`.
"""

from __future__ import annotations

import math

import numpy as np

from aeib.dsp import ChainProcessor
from aeib.dsp.schema import ParameterSchema

MAX_STEP01 = 0.002
"""Largest change of any normalized parameter from one processed piece to the next."""

MIN_STEP01 = 0.0005
"""Smaller changes are deferred until they accumulate (the setting lags by less than this)."""

MIN_PIECE_SAMPLES = 32
"""A block is never cut into pieces shorter than this (bounds the per-piece overhead)."""


class GlidingChain:
    """A :class:`ChainProcessor` whose setting moves in steps no larger than :data:`MAX_STEP01`.

    Args:
        chain: The chain to drive (its current setting is the starting point).
        schema: Its parameter schema.
    """

    def __init__(self, chain: ChainProcessor, schema: ParameterSchema):
        self.chain = chain
        self.schema = schema
        self.applied01 = schema.normalize(schema.to_vector(chain.params))

    def reset(self, params01: np.ndarray) -> None:
        """Clear the chain's state and jump to ``params01`` (no audio in flight, so no click)."""
        self.chain.reset()
        self.jump(params01)

    def jump(self, params01: np.ndarray) -> None:
        """Switch to ``params01`` at the next block without gliding."""
        self.applied01 = np.asarray(params01, dtype=np.float64).copy()
        self.chain.set_params(self.schema.denormalize(self.applied01))

    def process(self, block: np.ndarray, target01: np.ndarray) -> np.ndarray:
        """Process ``block`` while the setting moves from where it is to ``target01`` (reached at its end).

        Args:
            block: float[n] or float[n, channels].
            target01: float[P] normalized setting wanted by the end of the block.

        Returns:
            The processed block (shape and dtype as :meth:`ChainProcessor.process_block`).
        """
        target01 = np.asarray(target01, dtype=np.float64)
        step = float(np.max(np.abs(target01 - self.applied01)))
        if step < MIN_STEP01:
            return self.chain.process_block(block)
        n = block.shape[0]
        pieces = max(1, min(math.ceil(step / MAX_STEP01), n // MIN_PIECE_SAMPLES))
        if pieces == 1:
            self.jump(target01)
            return self.chain.process_block(block)
        start01 = self.applied01
        bounds = np.linspace(0, n, pieces + 1).round().astype(int)
        out = []
        for k in range(pieces):
            self.jump(start01 + (k + 1) / pieces * (target01 - start01))
            out.append(self.chain.process_block(block[bounds[k]:bounds[k + 1]]))
        return np.concatenate(out)

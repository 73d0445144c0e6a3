"""The processing chain: registered processors in order, the loudness stage, then the fixed safety limiter.

The loudness stage (:mod:`aeib.dsp.loudness`) is a measured gain, not a schema parameter: 0 dB (the
default) is exactly transparent; streaming callers may let it follow a loudness target.

Whole-signal use::

    from aeib.dsp import process
    y = process(x, 48_000, {"eq.band2.gain_db": -4.0, "comp.ratio": 3.0})

Streaming use (output identical to the whole-signal call when parameters are fixed)::

    chain = ChainProcessor(48_000, channels=2, params=settings)
    for block in blocks:
        out = chain.process_block(block)
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

# Importing the processor modules registers them.
from aeib.dsp import compressor as _compressor  # noqa: F401
from aeib.dsp import eq as _eq  # noqa: F401
from aeib.dsp.limiter import SafetyLimiter
from aeib.dsp.loudness import LoudnessStage
from aeib.dsp.processor import get_processor_class
from aeib.dsp.schema import ParameterSchema
from aeib.errors import SignalError

DEFAULT_CHAIN: tuple[str, ...] = ("eq", "comp")
"""Processor order of the product's chain: EQ → compressor (→ safety limiter, always last)."""

CHUNK_SAMPLES = 8192
"""Internal processing granularity: large enough to amortize Python overhead, small enough for cache."""

Params = Mapping[str, float] | Sequence[float] | np.ndarray | None


def build_schema(processor_names: Sequence[str] = DEFAULT_CHAIN) -> ParameterSchema:
    """The parameter schema of a chain made of the named processors, in order."""
    return ParameterSchema(spec for name in processor_names for spec in get_processor_class(name).specs)


CHAIN_SCHEMA = build_schema(DEFAULT_CHAIN)
"""Schema of the default chain: the model's output size, the CLI and export metadata come from it."""


def _as_2d(audio: np.ndarray) -> np.ndarray:
    audio = np.asarray(audio)
    if audio.ndim not in (1, 2) or (audio.ndim == 2 and audio.shape[1] == 0):
        raise SignalError(f"audio must have shape (samples,) or (samples, channels), got {audio.shape}")
    if not np.issubdtype(audio.dtype, np.floating):
        raise SignalError(f"audio must be floating point in [-1, 1], got dtype {audio.dtype}")
    block = audio[:, None] if audio.ndim == 1 else audio
    return np.ascontiguousarray(block, dtype=np.float64)


class ChainProcessor:
    """Stateful chain for block-by-block (streaming) processing.

    Args:
        sample_rate: Sample rate in Hz (8 000 – 192 000).
        channels: Channel count of the blocks that will be fed.
        params: Initial setting: a partial ``{name: physical value}`` mapping (defaults fill the
            rest) or a full physical vector in schema order.
        processors: Processor names in order; the safety limiter is always appended.
        limiter: Set False to drop the safety limiter (for analysis and tests only).
        loudness_gain_db: Gain of the loudness stage (after the processors, before the limiter), dB.
        loudness_target_lufs: ``None`` keeps that gain fixed; a number lets the stage follow the
            short-term loudness to this target (streaming, see :class:`~aeib.dsp.loudness.LoudnessStage`).
    """

    def __init__(self, sample_rate: float, channels: int, params: Params = None,
                 processors: Sequence[str] = DEFAULT_CHAIN, limiter: bool = True, *,
                 loudness_gain_db: float = 0.0, loudness_target_lufs: float | None = None):
        self.sample_rate = float(sample_rate)
        self.channels = int(channels)
        self.schema = CHAIN_SCHEMA if tuple(processors) == DEFAULT_CHAIN else build_schema(processors)
        self._stages = [get_processor_class(name)(sample_rate, channels) for name in processors]
        self.loudness = LoudnessStage(sample_rate, channels, loudness_gain_db, loudness_target_lufs)
        self._limiter = SafetyLimiter(sample_rate) if limiter else None
        self.set_params(params)

    @property
    def params(self) -> dict[str, float]:
        """The current setting, every parameter in physical units."""
        return dict(self._params)

    def set_params(self, params: Params) -> None:
        """Validate and switch to a new setting (takes effect from the next block)."""
        self._params = self.schema.to_dict(self.schema.to_vector(params))

    def reset(self) -> None:
        """Clear all filter, envelope and limiter state."""
        for stage in self._stages:
            stage.reset()
        self.loudness.reset()
        if self._limiter is not None:
            self._limiter.reset()

    def process_block(self, block: np.ndarray, params: Params = None) -> np.ndarray:
        """Process the next block.

        Args:
            block: float[samples] or float[samples, channels] with ``channels`` as constructed.
            params: Optional new setting, applied from this block on.

        Returns:
            The processed block, same shape as ``block``; float32 if the block is float32 (the
            processors' output is then rounded to float32 before the loudness stage and the
            limiter), float64 otherwise.
        """
        if params is not None:
            self.set_params(params)
        audio = _as_2d(block)
        if audio.shape[1] != self.channels:
            raise SignalError(f"block has {audio.shape[1]} channels, the chain was built for {self.channels}")
        out_dtype = np.float32 if np.asarray(block).dtype == np.float32 else np.float64
        out = np.empty(audio.shape, dtype=out_dtype)
        # Long blocks go through in cache-sized chunks; every stage keeps state, so this is exact.
        for start in range(0, audio.shape[0], CHUNK_SAMPLES):
            chunk = audio[start:start + CHUNK_SAMPLES]
            for stage in self._stages:
                chunk = stage.process_block(chunk, self._params)
            if out_dtype == np.float32:
                # A float32 signal leaves the processors as float32, before the loudness stage and the
                # limiter, so what they made can be kept and finished later bit for bit
                # (``processors=()``; aeib.runtime.render, issue 15).
                chunk = chunk.astype(np.float32).astype(np.float64)
            chunk = self.loudness.process_block(chunk)
            if self._limiter is not None:
                chunk = self._limiter.process_block(chunk)
            out[start:start + CHUNK_SAMPLES] = chunk
        return out[:, 0] if np.ndim(block) == 1 else out


def process(audio: np.ndarray, sample_rate: float, params: Params = None, *,
            processors: Sequence[str] = DEFAULT_CHAIN, limiter: bool = True,
            loudness_gain_db: float = 0.0) -> np.ndarray:
    """Run the whole chain over a complete signal.

    Args:
        audio: float[samples] or float[samples, channels], nominally within [-1, 1].
        sample_rate: Sample rate in Hz (8 000 – 192 000).
        params: Partial ``{name: physical value}`` mapping (defaults fill the rest) or a full
            physical vector in schema order; ``None`` means the neutral setting.
        processors: Processor names in order (default EQ → compressor).
        limiter: Set False to skip the output safety limiter.
        loudness_gain_db: Gain of the loudness stage before the limiter, dB (e.g. from
            :func:`aeib.dsp.loudness.loudness_gain_db`).

    Returns:
        Processed audio with the shape of ``audio`` (float32 in → float32 out, else float64).

    Raises:
        ParameterError: for unknown, non-numeric or out-of-range parameters.
        SignalError (a ValueError): for a badly shaped or non-float signal or an unsupported sample rate.
    """
    channels = 1 if np.ndim(audio) == 1 else np.shape(audio)[1]
    chain = ChainProcessor(sample_rate, channels, params, processors=processors, limiter=limiter,
                           loudness_gain_db=loudness_gain_db)
    return chain.process_block(audio)


def process_normalized(audio: np.ndarray, sample_rate: float, params01: np.ndarray, **kwargs: Any) -> np.ndarray:
    """Like :func:`process`, with the setting given as a normalized [0, 1] vector (network output)."""
    return process(audio, sample_rate, CHAIN_SCHEMA.denormalize(params01), **kwargs)

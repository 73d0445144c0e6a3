"""Live enhancement: the chain runs block by block while the analyzer re-listens every few seconds.

::

    stream = StreamEnhancer(model, sample_rate=48_000, channels=2)
    for block in blocks:                  # float32[n, 2], e.g. n = 512
        out = stream.process(block)       # same shape, same block

**Latency and causality.** ``process`` returns the processed block at once: the only latency is the
block itself (``n / sample_rate`` seconds of buffering in the caller). There is no lookahead —
output block *i* depends only on input blocks 0…*i*: block *i* is processed with parameters decided
from blocks before it, and analysis of audio up to block *i* affects block *i + 1* onwards.

**Analysis.** A rolling window of the most recent audio (mono, resampled to the model rate with
a streaming soxr resampler, one analysis window long) is analysed first after ``first_analysis_s``
and then every ``interval_s``; windows quieter than ``silence_dbfs`` are skipped. The target is the
median of the last ``history`` predictions (normalized units), and the parameters ramp linearly
(in normalized units) from where they are to the target over ``ramp_s``. Each block glides from
the ramp's position at its start to its position at its end, in pieces whose setting moves at most
:data:`~aeib.runtime.glide.MAX_STEP01` (see :mod:`aeib.runtime.glide`), so no parameter jumps audibly. By default the analysis runs inside ``process`` (a few milliseconds once per
interval: that block takes longer); ``background=True`` moves it to a worker thread.

**Fixed parameters.** With ``analyze=False`` the parameters stay as given and the output equals
:func:`aeib.dsp.process` of the whole signal sample for sample.

**Strength and loudness.** Each prediction is scaled toward neutral by ``strength`` before the ramp
(:meth:`~aeib.dsp.schema.ParameterSchema.toward_neutral01`); strength 0 returns every block
unchanged (bit for bit, no limiter). With ``loudness_target_lufs`` the chain's loudness stage
follows a slowly moving short-term loudness estimate of its own input towards that target (causal,
no lookahead; :class:`~aeib.dsp.loudness.LoudnessStage`), starting from 0 dB.
"""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Mapping, Sequence

import numpy as np
import soxr

from aeib.dsp import ChainProcessor
from aeib.dsp.schema import check_strength
from aeib.errors import AudioError, ParameterError
from aeib.runtime.bundle import Style
from aeib.runtime.glide import GlidingChain
from aeib.runtime.model import AnalyzerModel
from aeib.runtime.windows import level_dbfs


class StreamEnhancer:
    """Block-by-block enhancer with periodic re-analysis and click-free parameter ramps.

    Args:
        model: The analyzer (may be None only with ``analyze=False``).
        sample_rate: Rate of the blocks in Hz (8 000 – 192 000).
        channels: Channels of the blocks.
        reference_embedding: float[E] target or a built-in :class:`~aeib.runtime.bundle.Style`; None uses ``style``.
        style: Built-in style name when no embedding is given (None: the model's default style).
        params: Starting setting (physical mapping or vector); None is the neutral setting, which
            leaves audio unchanged until the first analysis takes effect.
        analyze: Re-run the analyzer periodically. False keeps ``params`` fixed.
        interval_s: Seconds of audio between analyses.
        first_analysis_s: Audio needed before the first analysis (at least one analyzer frame).
        ramp_s: Duration of the ramp to a new target, seconds (0: reach it within the next block).
        history: Number of recent predictions whose median is the target.
        silence_dbfs: Rolling windows quieter than this RMS level are not analysed.
        background: Run the analyzer on a worker thread instead of inside :meth:`process`, so no
            block waits for it (for live audio with short blocks). The prediction then takes effect
            at the first block after it finishes, which depends on timing: outputs are causal but
            no longer bit-reproducible. Call :meth:`close` when done.
        strength: 0…1: predictions are scaled toward neutral by it; 0 passes blocks through untouched.
        loudness_target_lufs: Let the loudness stage follow the short-term loudness to this target
            (LUFS); None keeps it at 0 dB.
    """

    def __init__(self, model: AnalyzerModel | None, sample_rate: int, channels: int = 1, *,
                 reference_embedding: np.ndarray | Style | None = None, style: str | None = None,
                 params: Mapping[str, float] | Sequence[float] | None = None, analyze: bool = True,
                 interval_s: float = 3.0, first_analysis_s: float = 1.0, ramp_s: float = 1.0,
                 history: int = 3, silence_dbfs: float = -60.0, background: bool = False,
                 strength: float = 1.0, loudness_target_lufs: float | None = None):
        if analyze and model is None:
            raise ParameterError("StreamEnhancer needs a model to analyse (or analyze=False)")
        for name, value in (("interval_s", interval_s), ("first_analysis_s", first_analysis_s)):
            if not (math.isfinite(value) and value > 0):
                raise ParameterError(f"{name} must be a positive number of seconds, got {value!r}")
        if not (math.isfinite(ramp_s) and ramp_s >= 0):
            raise ParameterError(f"ramp_s must be ≥ 0 seconds, got {ramp_s!r}")
        if isinstance(history, bool) or not isinstance(history, int) or history < 1:
            raise ParameterError(f"history must be an integer ≥ 1, got {history!r}")
        self.model = model
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.analyze = bool(analyze)
        self.interval_s, self.first_analysis_s, self.ramp_s = interval_s, first_analysis_s, ramp_s
        self.history, self.silence_dbfs = history, silence_dbfs
        self.background = bool(background)
        self.strength = check_strength(strength)
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future[np.ndarray | None] | None = None
        self._chain = ChainProcessor(sample_rate, channels, params, loudness_target_lufs=loudness_target_lufs)
        self.schema = self._chain.schema
        self._initial01 = self.schema.normalize(self.schema.to_vector(self._chain.params))
        self._initial_params = self._chain.params
        self._glide = GlidingChain(self._chain, self.schema)
        self._reference = None
        if model is not None:
            self._reference = (model.style(style) if reference_embedding is None
                               else reference_embedding if isinstance(reference_embedding, Style)
                               else np.asarray(reference_embedding, dtype=np.float32))
        self.reset()

    # -- state ------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget all audio and go back to the starting setting (DSP state, buffer, history, ramp)."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self._chain.reset()
        self._chain.set_params(self._initial_params)  # exactly as given (no normalize round trip)
        self._glide.applied01 = self._initial01.copy()
        self._current01: np.ndarray = self._initial01.copy()
        self._ramp_from: np.ndarray = self._current01
        self._ramp_to: np.ndarray = self._current01
        self._ramp_total = self._ramp_done = 0
        self._predictions: list[np.ndarray] = []
        self._samples_seen = 0
        self._next_analysis = int(round(self.first_analysis_s * self.sample_rate))
        self.analysis_count = 0
        if self.model is not None:
            self._window = self.model.window_samples
            self._buffer = np.zeros(2 * self._window, dtype=np.float32)
            self._filled = 0
            self._resampler = (None if self.model.sample_rate == self.sample_rate else
                               soxr.ResampleStream(self.sample_rate, self.model.sample_rate, 1, dtype="float32"))

    def close(self) -> None:
        """Stop the background analysis thread (if any); the enhancer can still process blocks."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor, self._pending = None, None

    @property
    def params(self) -> dict[str, float]:
        """The setting the last piece of the last block was processed with (physical units)."""
        return self._chain.params

    @property
    def params01(self) -> np.ndarray:
        """Where the ramp was at the end of the last block, normalized, float64[P] (the chain
        follows within :data:`~aeib.runtime.glide.MIN_STEP01`)."""
        current: np.ndarray = self._current01.copy()
        return current

    @property
    def loudness_gain_db(self) -> float:
        """The loudness stage's gain at the end of the last block, dB."""
        return self._chain.loudness.gain_db

    @property
    def target01(self) -> np.ndarray:
        """Where the parameters are gliding to, float64[P]."""
        target: np.ndarray = self._ramp_to.copy()
        return target

    def set_params(self, params: Mapping[str, float] | Sequence[float], ramp: bool = True) -> None:
        """Steer to a setting (physical units): glide over ``ramp_s`` from the next block, or jump."""
        self._start_ramp(self.schema.normalize(self.schema.to_vector(params)), ramp)

    def _start_ramp(self, target01: np.ndarray, ramp: bool = True) -> None:
        self._ramp_from, self._ramp_to = self._current01.copy(), np.asarray(target01, dtype=np.float64)
        self._ramp_total = int(round(self.ramp_s * self.sample_rate)) if ramp else 0
        self._ramp_done = 0

    # -- processing -------------------------------------------------------------------------
    def process(self, block: np.ndarray) -> np.ndarray:
        """Enhance the next block.

        Args:
            block: float[n] (mono) or float[n, channels], any n ≥ 1 (256–1024 is typical).

        Returns:
            The processed block, same shape (float32 in → float32 out).

        Raises:
            AudioError: for NaN/inf samples. ValueError: for a wrong shape or channel count.
        """
        block = np.asarray(block)
        if not np.isfinite(block).all():
            raise AudioError("the stream contains NaN or infinite samples")
        if self.strength == 0.0:
            untouched: np.ndarray = block.copy()
            return untouched
        n = block.shape[0]
        if self._pending is not None and self._pending.done():
            future, self._pending = self._pending, None
            self._accept(future.result())
        self._advance_ramp(n)
        out = self._glide.process(block, self._current01)
        if self.analyze:
            self._listen(block)
        self._samples_seen += n
        return out

    def _advance_ramp(self, n: int) -> None:
        """Move the ramp to the end of a block of ``n`` samples (the block glides there)."""
        if np.array_equal(self._current01, self._ramp_to):
            return
        self._ramp_done += n
        fraction = 1.0 if self._ramp_total == 0 else min(1.0, self._ramp_done / self._ramp_total)
        self._current01 = self._ramp_from + fraction * (self._ramp_to - self._ramp_from)
        if fraction >= 1.0:
            self._current01 = self._ramp_to.copy()

    def _listen(self, block: np.ndarray) -> None:
        """Add a block to the rolling window; analyse when the interval has elapsed."""
        mono = block.astype(np.float32) if block.ndim == 1 else block.mean(axis=1, dtype=np.float32)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(mono)
        self._append(mono)
        end = self._samples_seen + block.shape[0]
        if end >= self._next_analysis:
            self._next_analysis = end + int(round(self.interval_s * self.sample_rate))
            self._analyse()

    def _append(self, samples: np.ndarray) -> None:
        samples = samples[-self._window:]
        if self._filled + samples.shape[0] > self._buffer.shape[0]:
            keep = self._window - samples.shape[0]
            self._buffer[:keep] = self._buffer[self._filled - keep:self._filled]
            self._filled = keep
        self._buffer[self._filled:self._filled + samples.shape[0]] = samples
        self._filled += samples.shape[0]

    def _analyse(self) -> None:
        """Analyse the rolling window now, or hand a copy of it to the background thread."""
        audio = self._buffer[max(0, self._filled - self._window):self._filled]
        if not self.background:
            self._accept(self._predict(audio))
        elif self._pending is None:  # a still-running analysis is not queued behind
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="aeib-analysis")
            self._pending = self._executor.submit(self._predict, audio.copy())

    def _predict(self, audio: np.ndarray) -> np.ndarray | None:
        """params01 for a window of model-rate audio; None if it is too short or too quiet."""
        model = self.model
        assert model is not None  # analysis needs a model (checked in __init__)
        if audio.shape[0] < model.min_samples or level_dbfs(audio) < self.silence_dbfs:
            return None
        return model.run_toward(model.features(audio), self._reference)[0]

    def _accept(self, params01: np.ndarray | None) -> None:
        """Take a prediction: update the history median and start a ramp towards it."""
        if params01 is None:
            return
        self.analysis_count += 1
        self._predictions = (self._predictions + [params01.astype(np.float64)])[-self.history:]
        self._start_ramp(self.schema.toward_neutral01(np.median(np.stack(self._predictions), axis=0), self.strength))

"""The numpy chain over a batch, in parallel: what the SPSA layer calls (no TensorFlow here).

Every example of a batch is independent, so they are spread over a pool of workers. The numba
kernels of :mod:`aeib.dsp` release the GIL, so threads run them concurrently; a process pool is the
alternative (no GIL at all, but the audio is pickled to and from the workers). ``docs/MODEL.md``
records which one is faster on the build machine; threads are the default.

Batch layout: audio float32[batch, samples] (mono), normalized parameters float[batch, n_params]
in ``CHAIN_SCHEMA`` order.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

from aeib.dsp import CHAIN_SCHEMA, process
from aeib.model.config import DSP_BACKENDS


def _run_chain(audio: np.ndarray, physical: np.ndarray, sample_rate: int, limiter: bool) -> np.ndarray:
    """One example through the chain: float64[samples]."""
    return process(np.asarray(audio, dtype=np.float64), sample_rate, physical, limiter=limiter)


def _output_task(args) -> np.ndarray:
    audio, physical, sample_rate, limiter = args
    return _run_chain(audio, physical, sample_rate, limiter).astype(np.float32)


def _difference_task(args) -> np.ndarray:
    """chain(θ⁺) − chain(θ⁻) for one example, float64[samples]."""
    audio, physical_plus, physical_minus, sample_rate, limiter = args
    difference = _run_chain(audio, physical_plus, sample_rate, limiter)
    difference -= _run_chain(audio, physical_minus, sample_rate, limiter)
    return difference


def _projection_task(args) -> float:
    """⟨upstream, chain(θ⁺) − chain(θ⁻)⟩ for one example, in float64."""
    audio, physical_plus, physical_minus, upstream, sample_rate, limiter = args
    difference = _run_chain(audio, physical_plus, sample_rate, limiter)
    difference -= _run_chain(audio, physical_minus, sample_rate, limiter)
    return float(np.dot(np.asarray(upstream, dtype=np.float64), difference))


class BatchDsp:
    """Runs :func:`aeib.dsp.process` (mono) for every example of a batch.

    Args:
        sample_rate: Sample rate of the audio in Hz.
        limiter: Keep the output safety limiter in the chain.
        backend: One of :data:`~aeib.model.config.DSP_BACKENDS`: ``"threads"``, ``"processes"`` or ``"serial"``.
        workers: Pool size; 0 means one per CPU core.

    The pool starts on first use and lives until :meth:`close` (or garbage collection).
    """

    def __init__(self, sample_rate: int, limiter: bool = False, backend: str = "threads", workers: int = 0):
        if backend not in DSP_BACKENDS:
            raise ValueError(f"backend must be one of {DSP_BACKENDS}, got {backend!r}")
        self.sample_rate = int(sample_rate)
        self.limiter = bool(limiter)
        self.backend = backend
        self.workers = int(workers) or (os.cpu_count() or 1)
        self._pool: Executor | None = None

    def _map(self, function, tasks: list) -> list:
        if self.backend == "serial" or len(tasks) == 1:
            return [function(task) for task in tasks]
        if self._pool is None:
            if self.backend == "threads":
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="aeib-dsp")
            else:  # spawn: forking a process that runs TensorFlow threads is unsafe
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        # Processes: one message per worker instead of one per example (pickling round trips dominate).
        chunk = -(-len(tasks) // self.workers) if self.backend == "processes" else 1
        return list(self._pool.map(function, tasks, chunksize=chunk))

    def process(self, audio: np.ndarray, params01: np.ndarray) -> np.ndarray:
        """Processed audio.

        Args:
            audio: float[batch, samples].
            params01: float[batch, n_params] normalized parameters.

        Returns:
            float32[batch, samples].
        """
        physical = CHAIN_SCHEMA.denormalize(params01)
        tasks = [(audio[i], physical[i], self.sample_rate, self.limiter) for i in range(len(audio))]
        outputs = self._map(_output_task, tasks)
        return np.stack(outputs) if outputs else np.zeros_like(audio, dtype=np.float32)

    def differences(self, audio: np.ndarray, plus01: np.ndarray, minus01: np.ndarray) -> np.ndarray:
        """Per example ``chain(plus) − chain(minus)`` (two chain runs each).

        Args:
            audio: float[batch, samples].
            plus01: float[batch, n_params] normalized parameters of the "+" run.
            minus01: float[batch, n_params] normalized parameters of the "−" run.

        Returns:
            float64[batch, samples].
        """
        plus, minus = CHAIN_SCHEMA.denormalize(plus01), CHAIN_SCHEMA.denormalize(minus01)
        tasks = [(audio[i], plus[i], minus[i], self.sample_rate, self.limiter) for i in range(len(audio))]
        outputs = self._map(_difference_task, tasks)
        return np.stack(outputs) if outputs else np.zeros(np.shape(audio), dtype=np.float64)

    def projections(self, audio: np.ndarray, plus01: np.ndarray, minus01: np.ndarray,
                    upstream: np.ndarray) -> np.ndarray:
        """Per example ``⟨upstream, chain(plus) − chain(minus)⟩`` (two chain runs each).

        Args:
            audio: float[batch, samples].
            plus01: float[batch, n_params] normalized parameters of the "+" run.
            minus01: float[batch, n_params] normalized parameters of the "−" run.
            upstream: float[batch, samples], the loss gradient with respect to the output.

        Returns:
            float64[batch].
        """
        plus, minus = CHAIN_SCHEMA.denormalize(plus01), CHAIN_SCHEMA.denormalize(minus01)
        tasks = [(audio[i], plus[i], minus[i], upstream[i], self.sample_rate, self.limiter)
                 for i in range(len(audio))]
        return np.array(self._map(_projection_task, tasks), dtype=np.float64)

    def close(self) -> None:
        """Shut the worker pool down (a later call starts a new one)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=False)

"""Benchmarks (speed, not correctness): measured here, never asserted in unit tests.

``bench_dsp`` times the full chain (EQ → compressor → limiter) on music: the bundled example clip
resampled to the benchmark rate and tiled to the requested length. The real-time factor (RTF) is
processing time divided by audio duration; the best of several repeats is reported, after one
warm-up run that also triggers numba compilation. Everything runs on one core (no threads).
"""

from __future__ import annotations

import platform
import time
from importlib import resources

import numpy as np

from aeib import __version__
from aeib.audio import read_audio, resample
from aeib.dsp import ChainProcessor
from aeib.settings import load_params


def benchmark_signal(seconds: float, sample_rate: int, channels: int) -> np.ndarray:
    """The example clip at ``sample_rate``, tiled to ``seconds``: float64[samples, channels]."""
    with resources.as_file(resources.files("aeib.examples").joinpath("club_phone_clip.flac")) as clip:
        audio, rate = read_audio(clip, always_2d=True)
    audio = resample(audio, rate, sample_rate)
    audio = audio[:, np.arange(channels) % audio.shape[1]]
    n = int(round(seconds * sample_rate))
    return np.ascontiguousarray(np.resize(audio.T, (channels, n)).T, dtype=np.float64)


def bench_dsp(seconds: float = 60.0, sample_rate: int = 48_000, channels: int = 2,
              preset: str = "club-fix", repeats: int = 5) -> dict:
    """Time the chain on ``seconds`` of music.

    Returns:
        A dict with ``rtf`` (best processing time / duration), ``best_s``, ``median_s`` and the
        benchmark settings.
    """
    params = load_params(preset)
    audio = benchmark_signal(seconds, sample_rate, channels)
    chain = ChainProcessor(sample_rate, channels, params)
    chain.process_block(audio[: sample_rate // 10])  # warm-up (JIT) run
    times = []
    for _ in range(repeats):
        chain.reset()
        started = time.perf_counter()
        chain.process_block(audio)
        times.append(time.perf_counter() - started)
    best = min(times)
    return {
        "benchmark": "dsp_chain",
        "audio_seconds": seconds,
        "sample_rate_hz": sample_rate,
        "channels": channels,
        "preset": preset,
        "repeats": repeats,
        "best_s": best,
        "median_s": float(np.median(times)),
        "rtf": best / seconds,
        "aeib_version": __version__,
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "python": platform.python_version(),
    }

"""A tiny generated test set: music-like clips degraded by the project's own styles.

For the notebook and the tests — seconds to make, no files, no corpus. Each example is built like a
shard example without the room and phone: a generated groove is cut into two moments A and B,
a style setting is drawn with :func:`aeib.data.styles.sample_style` and applied to A with the
product chain; then ``input = style(A)``, ``target = A``, ``reference = B``, and the applied setting
is recorded, so every evaluation feature (including the settings comparison) works on it.
"""

from __future__ import annotations

import numpy as np

from aeib.data.styles import sample_style
from aeib.dsp import process
from aeib.evaluation.datasets import EvalDataset, EvalExample

DEFAULT_STYLES = ("boomy", "harsh", "muffled", "warm", "bright", "squashed")


def groove(seconds: float, sample_rate: int, seed: int = 0, tempo_bpm: float = 120.0) -> np.ndarray:
    """A deterministic mono groove — kick, hats, bass and a chord pad — peaking at −12 dBFS.

    Returns:
        float32[round(seconds · sample_rate)].
    """
    rng = np.random.default_rng(seed)
    n = int(round(seconds * sample_rate))
    t = np.arange(n) / sample_rate
    beat_s = 60.0 / tempo_bpm
    phase = (t % beat_s) / beat_s
    since_beat = t % beat_s
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-since_beat * 30)) * since_beat) * np.exp(-since_beat * 9)
    since_half = t % (beat_s / 2)
    hats = rng.standard_normal(n) * np.exp(-since_half * 60) * 0.25
    hats = np.diff(hats, prepend=0.0)  # a first difference: hats live in the highs
    root_hz = 55.0 * 2 ** (rng.integers(0, 7) / 12)
    bar = (t // (4 * beat_s)).astype(int)
    bass_hz = root_hz * np.where(bar % 2 == 0, 1.0, 2 ** (5 / 12))
    bass = np.sign(np.sin(2 * np.pi * np.cumsum(bass_hz) / sample_rate)) * 0.25 * (0.6 + 0.4 * (phase < 0.5))
    pad = sum(np.sin(2 * np.pi * root_hz * 4 * ratio * k * t + rng.uniform(0, 6)) / k ** 1.5
              for ratio in (1.0, 1.26, 1.5) for k in range(1, 6)) * 0.08
    mix = kick * 0.9 + hats + bass + pad
    return (mix / np.max(np.abs(mix)) * 10 ** (-12 / 20)).astype(np.float32)


def synthetic_examples(n: int, sample_rate: int = 24_000, seconds: float = 3.0,
                       styles: tuple[str, ...] = DEFAULT_STYLES, seed: int = 0) -> list[EvalExample]:
    """``n`` examples, styles taken in turn, each from its own groove and its own style draw."""
    examples = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        clean = groove(2 * seconds, sample_rate, seed=int(rng.integers(1 << 31)))
        half = len(clean) // 2
        moment_a, moment_b = clean[:half], clean[half:]
        style = styles[i % len(styles)]
        params = sample_style(style, rng)
        degraded = process(moment_a, sample_rate, params)
        examples.append(EvalExample(f"synthetic-{i:03d}", degraded, moment_a, moment_b, sample_rate, style, params))
    return examples


def synthetic_dataset(n: int, sample_rate: int = 24_000, seconds: float = 3.0,
                      styles: tuple[str, ...] = DEFAULT_STYLES, seed: int = 0) -> EvalDataset:
    """The examples of :func:`synthetic_examples` as a dataset for :func:`~aeib.evaluation.runner.run_evaluation`."""
    examples = synthetic_examples(n, sample_rate, seconds, styles, seed)
    return EvalDataset(f"{n} synthetic grooves ({', '.join(dict.fromkeys(e.style for e in examples))})",
                       sample_rate, sample_rate, len(examples), lambda: iter(examples))

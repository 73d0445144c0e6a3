"""Shared fixtures: small generated audio, never downloaded data."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf


def music_like(seconds: float, sample_rate: int, channels: int = 2, seed: int = 0) -> np.ndarray:
    """Deterministic test signal with tones, noise bursts and level changes: float32[samples, channels]."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    tones = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / (1 + k) for k, f in enumerate((110, 220, 440, 1250, 3100)))
    envelope = 0.25 + 0.75 * (np.sin(2 * np.pi * 1.5 * t) > 0)  # loud/quiet sections for the compressor
    noise = rng.standard_normal((n, channels)) * 0.05
    audio = 0.15 * (tones * envelope)[:, None] + noise * envelope[:, None]
    audio[:, 1::2] *= 0.8  # channels differ
    return audio.astype(np.float32)


@pytest.fixture
def make_wav(tmp_path):
    """Write a generated clip and return its path: make_wav(name, seconds, rate, channels, subtype)."""

    def _make(name="in.wav", seconds=1.0, sample_rate=48_000, channels=2, subtype="PCM_16", audio=None):
        path = tmp_path / name
        data = music_like(seconds, sample_rate, channels) if audio is None else audio
        sf.write(path, data, sample_rate, subtype=subtype)
        return path

    return _make

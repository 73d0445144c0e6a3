"""Fixtures for the model tests: the tiny config and short generated audio (never downloaded data)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from aeib.model.config import ModelConfig  # noqa: E402


def tone_noise_batch(n_examples: int, n_samples: int, sample_rate: int = 24_000, seed: int = 0) -> np.ndarray:
    """Tones plus noise with loud/quiet sections: float32[n_examples, n_samples], peaks below 1."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / sample_rate
    out = np.empty((n_examples, n_samples), dtype=np.float32)
    for i in range(n_examples):
        freqs = rng.uniform(80.0, 5000.0, size=4)
        tones = sum(np.sin(2 * np.pi * f * t + rng.uniform(0, 6)) / (1 + k) for k, f in enumerate(freqs))
        envelope = 0.3 + 0.7 * (np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 6)) > 0)
        out[i] = (0.15 * tones + 0.05 * rng.standard_normal(n_samples)) * envelope
    return out


@pytest.fixture(scope="session")
def tiny_config() -> ModelConfig:
    return ModelConfig.load("tiny")


@pytest.fixture
def audio_batch():
    """``audio_batch(n_examples, n_samples, seed)`` → float32 test audio."""
    return lambda n_examples=2, n_samples=4000, seed=0: tone_noise_batch(n_examples, n_samples, seed=seed)

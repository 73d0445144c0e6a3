"""Fixtures for the model tests: the tiny config and short generated audio (never downloaded data)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402

from aeib.model.config import ModelConfig  # noqa: E402
from tests.conftest import tone_noise_batch  # noqa: E402


@pytest.fixture(scope="session")
def tiny_config() -> ModelConfig:
    return ModelConfig.load("tiny")


@pytest.fixture
def audio_batch():
    """``audio_batch(n_examples, n_samples, seed)`` → float32 test audio."""
    return lambda n_examples=2, n_samples=4000, seed=0: tone_noise_batch(n_examples, n_samples, seed=seed)

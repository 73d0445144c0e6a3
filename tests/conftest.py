"""Shared fixtures and helpers: small generated audio (never downloaded data) and the tiny analyzer bundle.

Fixtures used by more than one test package live here, so no test module imports another package's
conftest.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from aeib.dsp import CHAIN_SCHEMA


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


@pytest.fixture
def make_wav(tmp_path):
    """Write a generated clip and return its path: make_wav(name, seconds, rate, channels, subtype)."""

    def _make(name="in.wav", seconds=1.0, sample_rate=48_000, channels=2, subtype="PCM_16", audio=None):
        path = tmp_path / name
        data = music_like(seconds, sample_rate, channels) if audio is None else audio
        sf.write(path, data, sample_rate, subtype=subtype)
        return path

    return _make


@pytest.fixture(scope="session")
def cached_bundle(request) -> Path:
    """The tiny bundle's JSON (:mod:`tests.tiny_bundle`) in pytest's cache, built once per version of
    that module. Do not modify."""
    from tests import tiny_bundle

    key = hashlib.sha256(Path(tiny_bundle.__file__).read_bytes()).hexdigest()[:16]
    folder = Path(request.config.cache.mkdir("aeib_runtime_bundle")) / key
    json_path = folder / f"{tiny_bundle.BUNDLE_NAME}.float32.json"
    if not json_path.is_file():
        pytest.importorskip("tensorflow")  # the [train] extra, needed only to build the bundle
        tmp = folder.with_name(key + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        tiny_bundle.build_bundle(tmp)
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return json_path


@pytest.fixture
def bundle_path(cached_bundle, tmp_path) -> Path:
    """A private copy of the tiny bundle (JSON path) that a test may damage."""
    folder = tmp_path / "model"
    folder.mkdir()
    for path in cached_bundle.parent.iterdir():
        shutil.copy(path, folder / path.name)
    return folder / cached_bundle.name


# An analyzer setting like those of the board-mix examples (the refinement's and fit_eq's tests): a large
# low shelf and bands whose Qs are far from the schema defaults (the refit once modelled them with the
# defaults and re-expressed the curve).
ANALYZER_LIKE_EQ = CHAIN_SCHEMA.complete({
    "eq.low_shelf.gain_db": 14.0, "eq.low_shelf.cutoff_hz": 90.0, "eq.low_shelf.q": 1.1,
    "eq.band1.gain_db": 6.0, "eq.band1.center_hz": 60.0, "eq.band1.q": 0.4,
    "eq.band2.gain_db": -4.0, "eq.band2.center_hz": 700.0, "eq.band2.q": 4.0,
    "eq.band3.gain_db": -6.0, "eq.band3.center_hz": 900.0, "eq.band3.q": 0.3,
    "eq.band4.gain_db": 3.0, "eq.band4.center_hz": 5000.0, "eq.band4.q": 6.0,
    "eq.high_shelf.gain_db": -5.0, "eq.high_shelf.cutoff_hz": 6000.0, "eq.high_shelf.q": 0.5})

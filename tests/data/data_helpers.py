"""Helpers for the data tests: small generated corpora (never the downloaded one) and tiny configs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from aeib.data import MakeDataConfig, PairConfig, RoomConfig
from aeib.data.splits import split_of

TEST_RATE = 16_000
TEST_SEGMENT_S = 0.5
TEST_FRACTIONS = (0.5, 0.25, 0.25)


def synthetic_music(seconds: float, sample_rate: int, seed: int, channels: int = 2) -> np.ndarray:
    """A few bars of 'music': a chord progression of harmonic tones plus noise-burst drums.

    Returns:
        float32[samples, channels], peak about 0.5.
    """
    rng = np.random.default_rng(seed)
    n = round(seconds * sample_rate)
    t = np.arange(n) / sample_rate
    out = np.zeros(n)
    beat = 0.25
    for start in np.arange(0.0, seconds, 4 * beat):
        root = 110.0 * 2 ** (rng.integers(0, 12) / 12)
        mask = (t >= start) & (t < start + 4 * beat)
        for ratio in (1.0, 1.25, 1.5):
            for harmonic in (1, 2, 3):
                out[mask] += np.sin(2 * np.pi * root * ratio * harmonic * t[mask] + rng.uniform(0, 6)) / harmonic
    drums = np.zeros(n)
    for hit in np.arange(0.0, seconds, beat):
        i = round(hit * sample_rate)
        length = min(n - i, round(0.05 * sample_rate))
        drums[i:i + length] += rng.standard_normal(length) * np.exp(-np.arange(length) / (0.01 * sample_rate))
    out = out / np.max(np.abs(out)) + 0.5 * drums
    out = 0.5 * out / np.max(np.abs(out))
    stereo = np.stack([out * (1 - 0.1 * c) for c in range(channels)], axis=1)
    return stereo.astype(np.float32)


def track_names(per_split: int = 2) -> list[str]:
    """Track names chosen so each split of TEST_FRACTIONS gets ``per_split`` of them (via the real hash)."""
    chosen: dict[str, list[str]] = {"train": [], "valid": [], "test": []}
    k = 0
    while any(len(v) < per_split for v in chosen.values()):
        name = f"song_{k:03d}"
        split = split_of(name, TEST_FRACTIONS)
        if len(chosen[split]) < per_split:
            chosen[split].append(name)
        k += 1
    return sorted(sum(chosen.values(), []))


def write_corpus(root: Path, seconds: float = 2.5, bad_files: bool = True) -> Path:
    """A folder corpus: six good tracks (two per split) at 22.05/44.1/48 kHz, mono and stereo, WAV/FLAC/OGG,
    plus (if ``bad_files``) one silent, one too short, one corrupt and one low-rate file."""
    root.mkdir(parents=True, exist_ok=True)
    rates = (44_100, 48_000, 22_050)
    formats = (".flac", ".wav", ".ogg")
    for i, name in enumerate(track_names()):
        rate = rates[i % 3]
        path = root / ("sub" if i % 2 else "") / f"{name}{formats[i % 3]}"
        path.parent.mkdir(exist_ok=True)
        sf.write(path, synthetic_music(seconds, rate, seed=i, channels=1 + i % 2), rate)
    if bad_files:
        sf.write(root / "silence.wav", np.zeros((3 * 44_100, 2), dtype=np.float32), 44_100)
        sf.write(root / "short.wav", synthetic_music(0.6, 44_100, seed=99), 44_100)
        (root / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk" * 10)
        sf.write(root / "lofi.wav", synthetic_music(seconds, 11_025, seed=98), 11_025)
    return root


TINY_ROOMS = RoomConfig(n_rooms=2, mics_per_room=2, length_m=(10.0, 12.0), rt60_s=(0.3, 0.4), max_order=3)


def tiny_config(music: Path, out: Path, cache: Path, **overrides) -> MakeDataConfig:
    """A make-data config that renders in about a second: 16 kHz, 0.5 s segments, 12 examples, recipe v1
    unless ``pair={"recipe": "v2"}``."""
    pair_options = {"recipe": "v1", **overrides.pop("pair", {})}   # v2 has its own tests (test_data_v2.py)
    pair = PairConfig(sample_rate=TEST_RATE, segment_s=TEST_SEGMENT_S, split_fractions=TEST_FRACTIONS,
                      noise_prob=0.5, agc_prob=0.2, **pair_options)
    options = dict(music_dir=music, out_dir=out, examples=12, seed=7, workers=1, shard_size=4, cache_dir=cache,
                   n_phones=3, pair=pair, rooms=TINY_ROOMS, progress=False)
    options.update(overrides)
    return MakeDataConfig(**options)

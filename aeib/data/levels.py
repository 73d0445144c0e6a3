"""Absolute levels of a data-v2 example: what a user's files really look like.

Per example (drawn at planning time, recorded):

* the **reference** RMS level, in ``reference_rms_dbfs`` (default −45…−6 dBFS RMS: a quiet phone
  recording up to a loud master). Where that level would push its peaks above ``ceiling_dbfs``
  a mastering limiter (pedalboard's ``Limiter``) takes the peaks down first, as mastering does;
* the **target** has the reference's integrated loudness (ITU BS.1770, pyloudnorm): the enhancer's
  measured loudness stage aims at the reference's loudness, so this is what a perfect output is;
  it goes through the same limiter when needed;
* the **input** sits ``input_offset_db`` (uniform, default ±21 dB) above or below the reference's RMS,
  within ``input_rms_dbfs`` (default −45…−6 dBFS; the offset is drawn first and the reference level
  within what keeps both in range, :func:`aeib.data.pairs.draw_levels`); the phone's own limiter
  catches peaks above the ceiling. Identity examples keep input = target.
"""

from __future__ import annotations

import math

import numpy as np

LOUDNESS_FLOOR_LUFS = -70.0


def rms_dbfs(audio: np.ndarray) -> float:
    """RMS level in dBFS (−inf-safe: digital silence gives −200)."""
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    return 20.0 * math.log10(rms) if rms > 1e-10 else -200.0


def peak_dbfs(audio: np.ndarray) -> float:
    """Sample-peak level in dBFS (digital silence gives −200)."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    return 20.0 * math.log10(peak) if peak > 1e-10 else -200.0


def loudness_lufs(audio: np.ndarray, sample_rate: int) -> float:
    """Integrated loudness (ITU BS.1770-4 via pyloudnorm) of mono audio, floored at −70 LUFS.

    The product measures loudness with :func:`aeib.dsp.loudness.integrated_loudness_lufs` (equal to
    pyloudnorm's within 1e-9 LU). The data pipeline keeps pyloudnorm itself so that the datasets
    documented in docs/DATA.md (manifest hashes) stay byte-reproducible with this code.
    """
    import pyloudnorm

    meter = pyloudnorm.Meter(sample_rate)
    with np.errstate(divide="ignore"):
        value = float(meter.integrated_loudness(np.asarray(audio, dtype=np.float64)))
    return value if math.isfinite(value) and value > LOUDNESS_FLOOR_LUFS else LOUDNESS_FLOOR_LUFS


def gain(audio: np.ndarray, gain_db: float) -> np.ndarray:
    return (np.asarray(audio, dtype=np.float32) * np.float32(10 ** (gain_db / 20))).astype(np.float32)


def _limit(audio: np.ndarray, sample_rate: int, over_db: float, ceiling_dbfs: float) -> np.ndarray:
    """pedalboard's (JUCE's) limiter taking the peaks ``over_db`` down; its output peaks at the ceiling."""
    import pedalboard

    peak = 10 ** (peak_dbfs(audio) / 20)
    limiter = pedalboard.Limiter(threshold_db=-over_db, release_ms=60.0)   # JUCE: output peaks at 0 dBFS
    limited = np.asarray(limiter(np.ascontiguousarray(audio / peak, dtype=np.float32)[None, :], sample_rate),
                         dtype=np.float32)[0]
    return limited * np.float32(10 ** (ceiling_dbfs / 20))


def place_level(audio: np.ndarray, sample_rate: int, rms_target_dbfs: float, ceiling_dbfs: float) -> tuple[np.ndarray, bool]:
    """Scale to ``rms_target_dbfs`` RMS, limiting the peaks to ``ceiling_dbfs`` where they would exceed it.

    Limiting and re-levelling alternate (at most three rounds) and a final hard clip at the ceiling
    catches what the limiter lets through, so a limited result lands within about a dB of the target.

    Returns:
        ``(audio, limited)``.
    """
    placed = gain(audio, rms_target_dbfs - rms_dbfs(audio))
    limited = False
    for _ in range(3):
        over_db = peak_dbfs(placed) - ceiling_dbfs
        if over_db <= 0.05:
            break
        limited = True
        placed = _limit(placed, sample_rate, over_db, ceiling_dbfs)
        placed = gain(placed, rms_target_dbfs - rms_dbfs(placed))
    ceiling = np.float32(10 ** (ceiling_dbfs / 20))
    return np.clip(placed, -ceiling, ceiling).astype(np.float32), limited


def match_loudness(audio: np.ndarray, sample_rate: int, loudness_target_lufs: float,
                   ceiling_dbfs: float) -> tuple[np.ndarray, bool]:
    """Scale to an integrated loudness (limiting peaks above ``ceiling_dbfs``, as :func:`place_level`)."""
    shift_db = loudness_target_lufs - loudness_lufs(audio, sample_rate)
    return place_level(audio, sample_rate, rms_dbfs(audio) + shift_db, ceiling_dbfs)


__all__ = ["gain", "loudness_lufs", "match_loudness", "peak_dbfs", "place_level", "rms_dbfs"]

"""Objective audio-similarity metrics (numpy only; no TensorFlow).

All functions take mono ``float[samples]`` or multichannel ``float[samples, channels]`` audio
(multichannel is averaged to mono first) at one sample rate, and compare an ``estimate`` with a
``target`` of the same length. Definitions:

* **mel distance (dB)** — mean over frames and bands of ``|10·log10(M_est) − 10·log10(M_tgt)|``,
  where ``M`` is the mel power spectrogram (Hann window, ``n_fft`` 2048, hop 512, 128 HTK mel bands,
  floor 1e-10 on the power). 0 dB means identical spectral envelopes over time.
* **spectral-centroid error (Hz)** — ``|c_est − c_tgt|`` where ``c`` is the power-weighted mean of
  every STFT bin's frequency over the whole signal (a single brightness number per signal).
* **RMS level error (dB)** — ``|20·log10(rms_est) − 20·log10(rms_tgt)|``: true decibels of amplitude.
* **loudness error (LU)** — ``|L_est − L_tgt|`` of ITU-R BS.1770 integrated loudness (pyloudnorm);
  needs ≥ 0.4 s of audio. ``nan`` if either signal is gated out entirely (silence).
* **multi-resolution STFT distance** — mean over FFT sizes 512/1024/2048 (hop = size/4) of spectral
  convergence ``‖|X|−|Y|‖_F / ‖|Y|‖_F`` plus mean ``|log|X| − log|Y||`` (floor 1e-7), the usual
  neural-audio loss; dimensionless.
"""

from __future__ import annotations

import math

import numpy as np

from aeib.audio import loudness_lufs, to_mono
from aeib.features import LogMelSpec, frame_signal, mel_filterbank

MEL_FFT = 2048
MEL_HOP = 512
MEL_BANDS = 128
POWER_FLOOR = 1e-10
MRSTFT_SIZES = (512, 1024, 2048)
LEVEL_FLOOR_DB = -200.0


def _pair(estimate: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    est, tgt = to_mono(estimate), to_mono(target)
    if est.shape != tgt.shape:
        raise ValueError(f"estimate and target lengths differ: {est.shape} vs {tgt.shape}")
    return est, tgt


def power_spectrogram(audio: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT|² with a Hann window, frames zero-padded at the end: float64[frames, n_fft // 2 + 1]."""
    audio = to_mono(audio)
    n_frames = max(1, math.ceil(max(len(audio) - n_fft, 0) / hop) + 1)
    padded = np.zeros((n_frames - 1) * hop + n_fft)
    padded[: len(audio)] = audio
    frames = frame_signal(padded, n_fft, hop)
    return np.abs(np.fft.rfft(frames * np.hanning(n_fft + 2)[1:-1], axis=-1)) ** 2


def mel_power(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mel power spectrogram float64[frames, MEL_BANDS] (the mel distance's representation)."""
    spec = LogMelSpec(sample_rate=sample_rate, frame_length=MEL_FFT, hop_length=MEL_HOP, n_mels=MEL_BANDS)
    return power_spectrogram(audio, MEL_FFT, MEL_HOP) @ mel_filterbank(spec)


def mel_distance_db(estimate: np.ndarray, target: np.ndarray, sample_rate: int) -> float:
    """Mean absolute log-mel difference in dB."""
    est, tgt = _pair(estimate, target)
    log_est = 10 * np.log10(mel_power(est, sample_rate) + POWER_FLOOR)
    log_tgt = 10 * np.log10(mel_power(tgt, sample_rate) + POWER_FLOOR)
    return float(np.mean(np.abs(log_est - log_tgt)))


def spectral_centroid_hz(audio: np.ndarray, sample_rate: int, n_fft: int = MEL_FFT, hop: int = MEL_HOP) -> float:
    """Power-weighted mean frequency of the whole signal in Hz (0 for silence)."""
    power = power_spectrogram(audio, n_fft, hop).sum(axis=0)
    total = power.sum()
    if total <= 0:
        return 0.0
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    return float(power @ freqs / total)


def spectral_centroid_error_hz(estimate: np.ndarray, target: np.ndarray, sample_rate: int) -> float:
    est, tgt = _pair(estimate, target)
    return abs(spectral_centroid_hz(est, sample_rate) - spectral_centroid_hz(tgt, sample_rate))


def rms_db(audio: np.ndarray) -> float:
    """RMS level in dBFS (20·log10), floored at −200 dB for silence."""
    rms = float(np.sqrt(np.mean(to_mono(audio) ** 2)))
    return 20 * math.log10(rms) if rms > 0 else LEVEL_FLOOR_DB


def rms_error_db(estimate: np.ndarray, target: np.ndarray) -> float:
    est, tgt = _pair(estimate, target)
    return abs(rms_db(est) - rms_db(tgt))


def loudness_error_lu(estimate: np.ndarray, target: np.ndarray, sample_rate: int) -> float:
    """Integrated-loudness difference in LU; ``nan`` when either signal is silent."""
    est, tgt = _pair(estimate, target)
    a, b = loudness_lufs(est, sample_rate), loudness_lufs(tgt, sample_rate)
    return abs(a - b) if math.isfinite(a) and math.isfinite(b) else float("nan")


def mrstft_distance(estimate: np.ndarray, target: np.ndarray, fft_sizes: tuple[int, ...] = MRSTFT_SIZES) -> float:
    """Multi-resolution STFT distance (spectral convergence + log-magnitude L1, averaged)."""
    est, tgt = _pair(estimate, target)
    total = 0.0
    for n_fft in fft_sizes:
        mag_est = np.sqrt(power_spectrogram(est, n_fft, n_fft // 4))
        mag_tgt = np.sqrt(power_spectrogram(tgt, n_fft, n_fft // 4))
        convergence = np.linalg.norm(mag_est - mag_tgt) / max(np.linalg.norm(mag_tgt), 1e-12)
        log_l1 = np.mean(np.abs(np.log(mag_est + 1e-7) - np.log(mag_tgt + 1e-7)))
        total += convergence + log_l1
    return float(total / len(fft_sizes))


METRICS = ("mel_distance_db", "centroid_error_hz", "rms_error_db", "loudness_error_lu", "mrstft")
"""Names of the metrics :func:`compare` returns, in report order."""


def compare(estimate: np.ndarray, target: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Every metric for one estimate/target pair (lower is better for all)."""
    return {
        "mel_distance_db": mel_distance_db(estimate, target, sample_rate),
        "centroid_error_hz": spectral_centroid_error_hz(estimate, target, sample_rate),
        "rms_error_db": rms_error_db(estimate, target),
        "loudness_error_lu": loudness_error_lu(estimate, target, sample_rate),
        "mrstft": mrstft_distance(estimate, target),
    }

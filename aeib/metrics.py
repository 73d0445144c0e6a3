"""Objective audio-similarity metrics (numpy only; no TensorFlow).

All functions take mono ``float[samples]`` or multichannel ``float[samples, channels]`` audio
(multichannel is averaged to mono first) at one sample rate, and compare an ``estimate`` with a
``target`` of the same length. Definitions:

* **mel distance (dB)** — mean over frames and bands of ``|10·log10(M_est) − 10·log10(M_tgt)|``,
  where ``M`` is the mel power spectrogram (Hann window, ``n_fft`` 2048, hop 512, 128 HTK mel bands,
  floor 1e-10 on the power). 0 dB means identical spectral envelopes over time.
* **loudness-matched mel distance (dB)** — the mel distance after the estimate is scaled by one gain
  that makes its integrated loudness (BS.1770) equal the target's: tone and dynamics, not level.
  ``nan`` if either signal is silent.
* **spectral-centroid error (Hz)** — ``|c_est − c_tgt|`` where ``c`` is the power-weighted mean of
  every STFT bin's frequency over the whole signal (a single brightness number per signal).
* **RMS level error (dB)** — ``|20·log10(rms_est) − 20·log10(rms_tgt)|``: true decibels of amplitude.
* **loudness error (LU)** — ``|L_est − L_tgt|`` of ITU-R BS.1770 integrated loudness
  (:func:`aeib.dsp.loudness.integrated_loudness_lufs`, equal to pyloudnorm's; a clip shorter than
  0.4 s is one ungated block). ``nan`` if either signal is gated out entirely (silence).
* **multi-resolution STFT distance** — mean over FFT sizes 512/1024/2048 (hop = size/4) of spectral
  convergence ``‖|X|−|Y|‖_F / ‖|Y|‖_F`` plus mean ``|log|X| − log|Y||`` (floor 1e-7), the usual
  neural-audio loss; dimensionless.

:class:`TargetScorer` computes exactly the same numbers as :func:`compare` but analyses the target
once and shares the 2048-point spectrogram of the estimate between the mel, centroid and MR-STFT
metrics (an evaluation scores many estimates against one target).

Two **DeepAFx-ST-convention variants** (Steinmetz et al., 2022, ``deepafx_st/metrics.py``) let
numbers be set beside that paper's; they are *not* this project's definitions and are labelled so:

* ``rms_error_deepafx`` — ``|20·ln(rms_est) − 20·ln(rms_tgt)|`` (natural log, rms floored at 1e-8):
  the paper's "RMS" unit, ln(10) ≈ 2.303 times true decibels.
* ``centroid_error_deepafx_hz`` — difference of the *magnitude*-weighted mean frequency of one
  FFT of the whole signal (no framing, no window), in Hz.

The paper's mel spectral distance (one 65,536-point frame, librosa's Slaney mel bank, log + linear
magnitude L1) is not reproduced: it needs librosa's filterbank, and a near-copy would invite
comparisons it cannot support.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import scipy.fft

from aeib.audio import to_mono
from aeib.dsp.loudness import integrated_loudness_lufs as loudness_lufs
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


@functools.lru_cache(maxsize=16)
def _hann(n_fft: int) -> np.ndarray:
    """The symmetric Hann window without its zero end points (``np.hanning(n + 2)[1:-1]``)."""
    window = np.hanning(n_fft + 2)[1:-1]
    window.flags.writeable = False
    return window


def power_spectrogram(audio: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """|STFT|² with a Hann window, frames zero-padded at the end: float64[frames, n_fft // 2 + 1]."""
    audio = to_mono(audio)
    n_frames = max(1, math.ceil(max(len(audio) - n_fft, 0) / hop) + 1)
    padded = np.zeros((n_frames - 1) * hop + n_fft)
    padded[: len(audio)] = audio
    spectrum = scipy.fft.rfft(frame_signal(padded, n_fft, hop) * _hann(n_fft), axis=-1)
    return spectrum.real ** 2 + spectrum.imag ** 2


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


def _matched_log_mel(mel: np.ndarray, gain_db: float) -> np.ndarray:
    """Log-mel (dB) of a signal whose mel power is ``mel``, scaled by ``gain_db``."""
    return 10 * np.log10(mel * 10.0 ** (gain_db / 10.0) + POWER_FLOOR)


def mel_distance_matched_db(estimate: np.ndarray, target: np.ndarray, sample_rate: int) -> float:
    """Mel distance (dB) after scaling ``estimate`` to the target's integrated loudness; ``nan`` for silence."""
    est, tgt = _pair(estimate, target)
    gain_db = loudness_lufs(tgt, sample_rate) - loudness_lufs(est, sample_rate)
    if not math.isfinite(gain_db):
        return float("nan")
    log_est = _matched_log_mel(mel_power(est, sample_rate), gain_db)
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


METRICS = ("mel_distance_db", "mel_distance_matched_db", "centroid_error_hz", "rms_error_db", "loudness_error_lu", "mrstft")
"""Names of the metrics :func:`compare` returns, in report order."""


def compare(estimate: np.ndarray, target: np.ndarray, sample_rate: int) -> dict[str, float]:
    """Every metric for one estimate/target pair (lower is better for all)."""
    return {
        "mel_distance_db": mel_distance_db(estimate, target, sample_rate),
        "mel_distance_matched_db": mel_distance_matched_db(estimate, target, sample_rate),
        "centroid_error_hz": spectral_centroid_error_hz(estimate, target, sample_rate),
        "rms_error_db": rms_error_db(estimate, target),
        "loudness_error_lu": loudness_error_lu(estimate, target, sample_rate),
        "mrstft": mrstft_distance(estimate, target),
    }


# -- DeepAFx-ST-convention variants (see the module docstring) ---------------------------------------

DEEPAFX_METRICS = ("rms_error_deepafx", "centroid_error_deepafx_hz")
"""Names of the DeepAFx-ST-convention variants, in report order."""


def rms_ln_deepafx(audio: np.ndarray) -> float:
    """``20·ln(max(rms, 1e-8))``: DeepAFx-ST's RMS-energy convention (natural log, not decibels)."""
    rms = float(np.sqrt(np.mean(to_mono(audio) ** 2)))
    return 20.0 * math.log(max(rms, 1e-8))


def centroid_deepafx_hz(audio: np.ndarray, sample_rate: int) -> float:
    """Magnitude-weighted mean frequency of one FFT of the whole signal, in Hz (0 for silence)."""
    magnitude = np.abs(np.fft.rfft(to_mono(audio)))
    total = magnitude.sum()
    if total <= 0:
        return 0.0
    freqs = np.linspace(0.0, sample_rate / 2.0, magnitude.size)
    return float(magnitude @ freqs / total)


def compare_deepafx(estimate: np.ndarray, target: np.ndarray, sample_rate: int) -> dict[str, float]:
    """The DeepAFx-ST-convention variants for one pair (lower is better)."""
    est, tgt = _pair(estimate, target)
    return {
        "rms_error_deepafx": abs(rms_ln_deepafx(est) - rms_ln_deepafx(tgt)),
        "centroid_error_deepafx_hz": abs(centroid_deepafx_hz(est, sample_rate) - centroid_deepafx_hz(tgt, sample_rate)),
    }


# -- many estimates against one target ----------------------------------------------------------------

class TargetScorer:
    """The metrics of :func:`compare` for many estimates of one target, the target analysed once.

    Args:
        target: float[samples] or float[samples, channels] reference signal (channels averaged).
        sample_rate: Sample rate of the target and of every estimate, Hz.

    Every method returns what the module-level function of the same name returns for
    ``(estimate, target)`` (equal to floating-point rounding).
    """

    def __init__(self, target: np.ndarray, sample_rate: int):
        if MEL_HOP != MEL_FFT // 4:  # the shared spectrogram below relies on it
            raise AssertionError("MEL_HOP must be MEL_FFT // 4")
        self.sample_rate = int(sample_rate)
        self.target = to_mono(target)
        self._filterbank = mel_filterbank(LogMelSpec(sample_rate=self.sample_rate, frame_length=MEL_FFT,
                                                     hop_length=MEL_HOP, n_mels=MEL_BANDS))
        self._freqs_hz = np.fft.rfftfreq(MEL_FFT, 1.0 / self.sample_rate)
        self._mags = {}
        self._log_mags = {}
        self._norms = {}
        for n_fft in MRSTFT_SIZES:
            power = power_spectrogram(self.target, n_fft, n_fft // 4)
            self._mags[n_fft] = np.sqrt(power)
            self._log_mags[n_fft] = np.log(self._mags[n_fft] + 1e-7)
            self._norms[n_fft] = max(float(np.linalg.norm(self._mags[n_fft])), 1e-12)
        power_mel = power_spectrogram(self.target, MEL_FFT, MEL_HOP)
        self._log_mel = 10 * np.log10(power_mel @ self._filterbank + POWER_FLOOR)
        self._centroid_hz = self._centroid(power_mel)
        self._rms_db = rms_db(self.target)
        self._lufs = loudness_lufs(self.target, self.sample_rate)
        self._deepafx = (rms_ln_deepafx(self.target), centroid_deepafx_hz(self.target, self.sample_rate))

    @staticmethod
    def _spectra(audio: np.ndarray) -> dict[int, np.ndarray]:
        """Power spectrograms at every MR-STFT size and the mel size (hop = size / 4 for all)."""
        return {n_fft: power_spectrogram(audio, n_fft, n_fft // 4) for n_fft in sorted({*MRSTFT_SIZES, MEL_FFT})}

    def _centroid(self, power: np.ndarray) -> float:
        summed = power.sum(axis=0)
        total = summed.sum()
        return float(summed @ self._freqs_hz / total) if total > 0 else 0.0

    def _check(self, estimate: np.ndarray) -> np.ndarray:
        est = to_mono(estimate)
        if est.shape != self.target.shape:
            raise ValueError(f"estimate and target lengths differ: {est.shape} vs {self.target.shape}")
        return est

    def _mrstft_from(self, spectra: dict[int, np.ndarray]) -> float:
        total = 0.0
        for n_fft in MRSTFT_SIZES:
            mag = np.sqrt(spectra[n_fft])
            convergence = np.linalg.norm(mag - self._mags[n_fft]) / self._norms[n_fft]
            total += convergence + np.mean(np.abs(np.log(mag + 1e-7) - self._log_mags[n_fft]))
        return float(total / len(MRSTFT_SIZES))

    def _mel_from(self, power_2048: np.ndarray, gain_db: float = 0.0) -> float:
        log_mel = _matched_log_mel(power_2048 @ self._filterbank, gain_db)
        return float(np.mean(np.abs(log_mel - self._log_mel)))

    def mrstft(self, estimate: np.ndarray) -> float:
        """:func:`mrstft_distance` of ``estimate`` to the target."""
        return self._mrstft_from({n: power_spectrogram(self._check(estimate), n, n // 4) for n in MRSTFT_SIZES})

    def mel_distance_db(self, estimate: np.ndarray) -> float:
        """:func:`mel_distance_db` of ``estimate`` to the target."""
        return self._mel_from(power_spectrogram(self._check(estimate), MEL_FFT, MEL_HOP))

    def compare(self, estimate: np.ndarray) -> dict[str, float]:
        """:func:`compare` of ``estimate`` to the target."""
        est = self._check(estimate)
        spectra = self._spectra(est)
        power_2048 = spectra[MEL_FFT]
        lufs = loudness_lufs(est, self.sample_rate)
        finite = math.isfinite(lufs) and math.isfinite(self._lufs)
        return {
            "mel_distance_db": self._mel_from(power_2048),
            "mel_distance_matched_db": self._mel_from(power_2048, self._lufs - lufs) if finite else float("nan"),
            "centroid_error_hz": abs(self._centroid(power_2048) - self._centroid_hz),
            "rms_error_db": abs(rms_db(est) - self._rms_db),
            "loudness_error_lu": abs(lufs - self._lufs) if finite else float("nan"),
            "mrstft": self._mrstft_from(spectra),
        }

    def compare_deepafx(self, estimate: np.ndarray) -> dict[str, float]:
        """:func:`compare_deepafx` of ``estimate`` to the target."""
        est = self._check(estimate)
        return {
            "rms_error_deepafx": abs(rms_ln_deepafx(est) - self._deepafx[0]),
            "centroid_error_deepafx_hz": abs(centroid_deepafx_hz(est, self.sample_rate) - self._deepafx[1]),
        }

"""Log-mel features in plain numpy: the one definition of the analyzer's front end.

The Keras front end (:class:`aeib.model.frontend.LogMelSpectrogram`), the edge runtime's fast FFT
twin (:class:`aeib.runtime.frontend.LogMelFrontend`) and the export's features take their default
settings (:data:`DEFAULT_SPEC`), window (:func:`frame_window`), DFT kernels and mel filterbank
(:func:`mel_filterbank`) from this module, so training, the exported ``.tflite`` model and the numpy
reference compute the same numbers. Only numpy is imported here: no TensorFlow.

The transform, for mono audio ``x`` (``float[samples]``) and frame ``t``:

1. frame ``t`` is ``x[t·hop : t·hop + frame_length]`` ("valid" framing: no padding, so
   ``frames = 1 + (samples − frame_length) // hop``);
2. ``re[t, k] = Σ_n x[t·hop + n] · w[n] · cos(2πkn/N) / Σw`` and ``im`` likewise with ``−sin``, where
   ``w`` is the periodic Hann window and ``N = frame_length`` (a full-scale sine at a bin centre
   gives magnitude 0.5);
3. ``power = re² + im²``; ``mel = power @ filterbank`` (HTK mel scale, triangles of peak 1);
4. ``log_mel = log(mel + log_eps)`` (natural log).

Steps 2–4 are a strided convolution, squares, a matrix product and a log: all of them TFLite builtin
operators, which is why the front end is written this way instead of with an FFT.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Mapping

import numpy as np


@dataclass(frozen=True)
class LogMelSpec:
    """Settings of the log-mel front end.

    Attributes:
        sample_rate: Sample rate of the audio in Hz.
        frame_length: Samples per analysis frame (also the DFT size).
        hop_length: Samples between the starts of consecutive frames.
        n_mels: Number of mel bands.
        fmin_hz: Lower edge of the lowest mel band in Hz.
        fmax_hz: Upper edge of the highest mel band in Hz; ``None`` means ``sample_rate / 2``.
        log_eps: Floor added to the mel power before the log.
    """

    sample_rate: int = 24_000
    frame_length: int = 1024
    hop_length: int = 256
    n_mels: int = 64
    fmin_hz: float = 20.0
    fmax_hz: float | None = None
    log_eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {self.sample_rate}")
        if self.frame_length < 2 or self.hop_length < 1:
            raise ValueError(
                f"need frame_length ≥ 2 and hop_length ≥ 1, got {self.frame_length}, {self.hop_length}")
        if self.n_mels < 1:
            raise ValueError(f"n_mels must be ≥ 1, got {self.n_mels}")
        if not 0.0 <= self.fmin_hz < self.upper_hz <= self.sample_rate / 2.0:
            raise ValueError(
                f"need 0 ≤ fmin_hz < fmax_hz ≤ sample_rate/2, "
                f"got {self.fmin_hz}, {self.upper_hz}, {self.sample_rate}"
            )
        if not self.log_eps > 0.0:
            raise ValueError(f"log_eps must be positive, got {self.log_eps}")

    @property
    def upper_hz(self) -> float:
        """The effective upper band edge in Hz (``fmax_hz`` or Nyquist)."""
        return self.sample_rate / 2.0 if self.fmax_hz is None else float(self.fmax_hz)

    @property
    def n_bins(self) -> int:
        """DFT bins from 0 Hz to Nyquist: ``frame_length // 2 + 1``."""
        return self.frame_length // 2 + 1

    def n_frames(self, n_samples: int) -> int:
        """Frames produced for a signal of ``n_samples`` (0 if it is shorter than one frame)."""
        if n_samples < self.frame_length:
            return 0
        return 1 + (n_samples - self.frame_length) // self.hop_length

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> "LogMelSpec":
        """Build from a mapping, rejecting unknown keys with a ValueError."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown log-mel setting(s) {unknown}; known: {sorted(known)}")
        return cls(**data)


DEFAULT_SPEC = LogMelSpec()
"""The front end's default settings: the one place they are written (the Keras layer's arguments and
the model config's ``frontend`` section default to these)."""


def hz_to_mel(freq_hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale: ``2595 · log10(1 + f / 700)``."""
    return 2595.0 * np.log10(1.0 + np.asarray(freq_hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`hz_to_mel`."""
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def hann_window(frame_length: int) -> np.ndarray:
    """Periodic Hann window, float64[frame_length] (the DFT-even form used for spectral analysis)."""
    n = np.arange(frame_length)
    return 0.5 - 0.5 * np.cos(2.0 * math.pi * n / frame_length)


def frame_window(frame_length: int) -> np.ndarray:
    """The window each frame is multiplied with: :func:`hann_window` divided by its sum, float64[frame_length].

    Dividing by ``Σw`` makes a full-scale sine at a bin centre come out with magnitude 0.5, whatever
    the frame length. The DFT kernels below and every FFT twin of the front end use this window.
    """
    window = hann_window(frame_length)
    return window / window.sum()


def dft_kernels(frame_length: int) -> tuple[np.ndarray, np.ndarray]:
    """Windowed real-DFT matrices, normalized by the window sum.

    Returns:
        ``(cos_kernel, sin_kernel)``, each float64[frame_length, frame_length // 2 + 1], such that
        ``frame @ cos_kernel`` and ``frame @ sin_kernel`` are the real and imaginary parts of the
        windowed DFT of a frame (float[frame_length]) divided by ``Σ window``.
    """
    n = np.arange(frame_length)[:, None]
    k = np.arange(frame_length // 2 + 1)[None, :]
    # (n·k) mod N keeps the phase argument small, so cos/sin stay accurate for large N.
    phase = 2.0 * math.pi * ((n * k) % frame_length) / frame_length
    scale = frame_window(frame_length)[:, None]
    return scale * np.cos(phase), -scale * np.sin(phase)


def mel_filterbank(spec: LogMelSpec) -> np.ndarray:
    """Triangular mel filters (peak 1) on the DFT bins, float64[n_bins, n_mels].

    Band ``m`` rises linearly from mel edge ``m`` to its centre ``m + 1`` and falls to edge ``m + 2``,
    with ``n_mels + 2`` edges spaced evenly in HTK mel between ``fmin_hz`` and the upper edge.
    """
    edges_hz = mel_to_hz(np.linspace(hz_to_mel(spec.fmin_hz), hz_to_mel(spec.upper_hz), spec.n_mels + 2))
    bins_hz = np.arange(spec.n_bins) * spec.sample_rate / spec.frame_length
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (bins_hz[None, :] - lower) / (centre - lower)
    falling = (upper - bins_hz[None, :]) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).T


def frame_signal(audio: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """Valid (unpadded) overlapping frames of ``audio``.

    Args:
        audio: float[..., samples].
        frame_length: Samples per frame.
        hop_length: Samples between frame starts.

    Returns:
        A read-only view, float[..., frames, frame_length], ``frames = 1 + (samples − frame_length) // hop``.

    Raises:
        ValueError: if the signal is shorter than one frame.
    """
    audio = np.asarray(audio)
    if audio.shape[-1] < frame_length:
        raise ValueError(f"need at least {frame_length} samples for one frame, got {audio.shape[-1]}")
    windows = np.lib.stride_tricks.sliding_window_view(audio, frame_length, axis=-1)
    return windows[..., ::hop_length, :]


def log_mel_spectrogram(audio: np.ndarray, spec: LogMelSpec = DEFAULT_SPEC) -> np.ndarray:
    """The numpy twin of the Keras front end, computed in float64.

    Args:
        audio: float[..., samples] mono audio at ``spec.sample_rate`` (leading axes are batch axes).
        spec: Front-end settings.

    Returns:
        float64[..., frames, n_mels] natural-log mel power.

    Raises:
        ValueError: if the signal is shorter than one frame.
    """
    frames = frame_signal(np.asarray(audio, dtype=np.float64), spec.frame_length, spec.hop_length)
    cos_kernel, sin_kernel = dft_kernels(spec.frame_length)
    power = (frames @ cos_kernel) ** 2 + (frames @ sin_kernel) ** 2
    return np.log(power @ mel_filterbank(spec) + spec.log_eps)

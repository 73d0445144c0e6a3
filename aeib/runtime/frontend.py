"""The analyzer's log-mel front end, computed fast with an FFT (float32 features).

:func:`aeib.features.log_mel_spectrogram` is the definition (float64, DFT as a matrix product, the
exact twin of the training graph's front end). This module computes the same numbers with
``numpy.fft.rfft`` (float64) and a banded mel product in float32, on one thread: many times faster, and
equal to the definition within
:data:`FEATURE_TOLERANCE` natural-log units (tested on music, tones from −100 to 0 dBFS and silence;
measured ≈ 1·10⁻⁶). The model's input tensor is float32 anyway.
"""

from __future__ import annotations

import threading

import numpy as np

from aeib.features import LogMelSpec, frame_signal, frame_window, mel_filterbank

FEATURE_TOLERANCE = 1e-4
"""Largest allowed |fast − definition| of a log-mel value, natural-log units (test-enforced)."""


class LogMelFrontend:
    """Callable computing float32 log-mel features of mono audio.

    Args:
        spec: Front-end settings (frame, hop, mels, range, floor) from the bundle JSON.
    """

    def __init__(self, spec: LogMelSpec):
        self.spec = spec
        self._window = frame_window(spec.frame_length).astype(np.float64)
        # Each mel band covers a short run of DFT bins: gathering those runs and summing them
        # (np.add.reduceat) is single-threaded and several times faster than a dense BLAS product
        # (which also spawns threads); scipy.sparse would do the same but costs 0.1-0.2 s to import.
        filterbank = mel_filterbank(spec).astype(np.float32)  # [bins, n_mels]
        columns: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        starts: list[int] = []
        for band in range(filterbank.shape[1]):
            nonzero = np.flatnonzero(filterbank[:, band])
            run = np.arange(nonzero[0], nonzero[-1] + 1) if nonzero.size else np.array([0])
            starts.append(sum(len(c) for c in columns))
            columns.append(run)
            weights.append(filterbank[run, band])
        self._columns = np.concatenate(columns)
        self._weights = np.concatenate(weights).astype(np.float32)
        self._starts = np.array(starts)
        self._eps = np.float32(spec.log_eps)
        self._local = threading.local()

    def _buffers(self, frames: int) -> tuple[np.ndarray, ...]:
        """This thread's work arrays for ``frames`` frames, made once and reused.

        Fresh arrays of a few MB each cost more than the arithmetic done in them (the allocator maps
        new pages for each; one 5 s window took 5.4 ms with fresh arrays, 2.8 ms with these reused,
        docs/RUNTIME.md). Per thread, so that threads may share one front end.
        """
        cached = getattr(self._local, "buffers", None)
        if cached is None or cached[0].shape[0] != frames:
            bins = self.spec.frame_length // 2 + 1
            cached = (np.empty((frames, self.spec.frame_length)), np.empty((frames, bins), np.complex128),
                      np.empty((frames, bins)), np.empty((frames, bins)), np.empty((frames, bins), np.float32),
                      np.empty((frames, self._columns.size), np.float32))
            self._local.buffers = cached
        return cached

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        """Log-mel features of ``audio``.

        Args:
            audio: float[samples] mono audio at ``spec.sample_rate``, at least one frame long.

        Returns:
            float32[frames, n_mels], ``frames = 1 + (samples − frame_length) // hop_length``.

        Raises:
            ValueError: if the signal is shorter than one frame.
        """
        frames = frame_signal(np.asarray(audio, dtype=np.float32), self.spec.frame_length, self.spec.hop_length)
        windowed, spectrum, power, imag_power, power32, gathered = self._buffers(frames.shape[0])
        # The FFT in float64: numpy 2's float32 FFT is about four times slower here (5.7 vs 1.5 ms for
        # one 5 s window's 465 frames, docs/RUNTIME.md), and float64 is the definition's precision.
        np.multiply(frames, self._window, out=windowed)
        np.fft.rfft(windowed, axis=-1, out=spectrum)
        np.square(spectrum.real, out=power)
        np.square(spectrum.imag, out=imag_power)
        np.add(power, imag_power, out=power)
        np.copyto(power32, power, casting="same_kind")
        np.take(power32, self._columns, axis=1, out=gathered)
        np.multiply(gathered, self._weights, out=gathered)
        mel = np.add.reduceat(gathered, self._starts, axis=1)
        mel += self._eps
        return np.log(mel, out=mel)


def fit_to_window(audio: np.ndarray, window_samples: int) -> np.ndarray:
    """Make mono audio exactly one analysis window long.

    Longer audio is cropped to its centre ``window_samples``. Shorter audio is extended by
    mirroring it in time (``numpy.pad`` ``symmetric`` mode, repeated as often as needed), which keeps
    its level and long-term spectrum and adds no silence and no step at the seam — unlike zero
    padding, which would make a short clip look quieter, or looping, which adds a click.

    Args:
        audio: float[samples] mono, at least one sample.
        window_samples: Target length.

    Returns:
        float32[window_samples].
    """
    audio = np.asarray(audio, dtype=np.float32)
    n = audio.shape[0]
    if n == 0:
        raise ValueError("cannot fit an empty signal to a window")
    if n >= window_samples:
        start = (n - window_samples) // 2
        return audio[start:start + window_samples]
    return np.pad(audio, (0, window_samples - n), mode="symmetric")

"""Long-term average spectrum of a stream, for the before/after picture of ``aeib enhance --plot``."""

from __future__ import annotations

import numpy as np

from aeib.audio import to_mono

N_FFT = 4096
"""Frame and FFT size of the average (≈ 85 ms at 48 kHz; 11.7 Hz bins)."""


class LongTermSpectrum:
    """Mean power spectrum of the mono downmix, fed block by block (memory does not grow).

    Non-overlapping Hann frames of ``n_fft`` samples; leftover samples wait for the next block, and
    a stream shorter than one frame is zero-padded to one frame at the end.

    Args:
        sample_rate: Rate of the blocks in Hz.
        n_fft: Frame and FFT size.
    """

    def __init__(self, sample_rate: float, n_fft: int = N_FFT):
        self.sample_rate = float(sample_rate)
        self.n_fft = int(n_fft)
        self._window = np.hanning(self.n_fft + 1)[:-1]
        self._pending = np.zeros(0)
        self._sum = np.zeros(self.n_fft // 2 + 1)
        self._frames = 0

    def add(self, block: np.ndarray) -> None:
        """Feed float[samples] or float[samples, channels]."""
        audio = np.concatenate([self._pending, to_mono(block)])
        whole = audio.shape[0] // self.n_fft
        if whole:
            frames = audio[: whole * self.n_fft].reshape(whole, self.n_fft) * self._window
            self._sum += np.square(np.abs(np.fft.rfft(frames, axis=-1))).sum(axis=0)
            self._frames += whole
        self._pending = audio[whole * self.n_fft:]

    def level_db(self) -> tuple[np.ndarray, np.ndarray]:
        """``(freqs_hz float64[bins], level_db float64[bins])``, the mean power per bin in dB
        relative to a full-scale sine's peak bin (floored at −200 dB)."""
        total, frames = self._sum.copy(), self._frames
        if frames == 0 and self._pending.size:
            padded = np.zeros(self.n_fft)
            padded[: self._pending.size] = self._pending
            total += np.square(np.abs(np.fft.rfft(padded * self._window)))
            frames = 1
        reference = (self._window.sum() / 2.0) ** 2  # a full-scale sine at a bin centre
        mean = total / max(frames, 1) / reference
        freqs_hz = np.fft.rfftfreq(self.n_fft, 1.0 / self.sample_rate)
        return freqs_hz, 10.0 * np.log10(np.maximum(mean, 1e-20))

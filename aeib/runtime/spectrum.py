"""Long-term average spectrum of a stream: the refinement's measurement, and the before/after picture of
``aeib enhance --plot``.

A long recording's average spectrum settles long before its end, so the refinement's measurement of
a recording longer than :data:`EXCERPTS_TOTAL_S` reads only :data:`EXCERPT_COUNT` evenly spread
excerpts of it (:func:`excerpt_starts`), about a minute in all, instead of decoding and transforming
the whole file (issue 15; the effect on the refined setting, measured on whole songs, is in
docs/RUNTIME.md, ``scripts/compare_spectrum_excerpts.py``). A recording no longer than that is
measured whole, exactly as before.
"""

from __future__ import annotations

import numpy as np

from aeib.audio import to_mono
from aeib.runtime.windows import AudioSource, source_blocks, source_frames, source_info

N_FFT = 4096
"""Frame and FFT size of the average (≈ 85 ms at 48 kHz; 11.7 Hz bins)."""

EXCERPTS_TOTAL_S = 60.0
"""Recordings up to this long (seconds) are measured whole; longer ones on excerpts of about this
much audio in all."""

EXCERPT_COUNT = 60
"""How many evenly spread excerpts a longer recording is measured on (each ≈ 1 s, whole frames).
Measured on 12 whole songs (``scripts/compare_spectrum_excerpts.py``): 15 excerpts of 4 s moved a
refined EQ curve by up to 1.2 dB from the whole song's, 60 of 1 s by at most 0.43 dB, 120 of 0.5 s by
0.50 dB."""


def excerpt_starts(total_frames: int, sample_rate: float, n_fft: int = N_FFT) -> tuple[np.ndarray, int] | None:
    """Where the spectrum of a long recording is measured: ``(start frames int64[EXCERPT_COUNT], frames
    per excerpt)``, the first excerpt at the start and the last ending at the end; None for a recording
    of at most :data:`EXCERPTS_TOTAL_S` seconds (measured whole).

    Each excerpt is a whole number of ``n_fft`` frames, so the excerpts' frames are the same as a
    stream made of them gives, and none straddles two excerpts.
    """
    if total_frames <= EXCERPTS_TOTAL_S * sample_rate:
        return None
    length = max(1, int(EXCERPTS_TOTAL_S * sample_rate / EXCERPT_COUNT) // n_fft) * n_fft
    starts = np.round(np.linspace(0, total_frames - length, EXCERPT_COUNT)).astype(np.int64)
    return starts, length


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


def long_term_spectrum_db(source: AudioSource, block_frames: int = 1 << 16) -> tuple[np.ndarray, np.ndarray]:
    """``(freqs_hz, level_db)``: the long-term spectrum (:class:`LongTermSpectrum`) of a file path or
    :class:`~aeib.runtime.windows.ArrayAudio`, streamed whole in blocks of ``block_frames``, or for a
    recording longer than :data:`EXCERPTS_TOTAL_S` measured on its excerpts (:func:`excerpt_starts`)."""
    info = source_info(source)
    spectrum = LongTermSpectrum(info.sample_rate)
    excerpts = excerpt_starts(info.frames, info.sample_rate)
    if excerpts is None:
        for block in source_blocks(source, block_frames):
            spectrum.add(block)
    else:
        starts, length = excerpts
        for start in starts:
            spectrum.add(source_frames(source, int(start), length))
    return spectrum.level_db()

"""The long-term spectrum's excerpts: where they lie, that only they are read, and that they agree
with the whole recording's average."""

import numpy as np
import pytest

from aeib.runtime.spectrum import (
    EXCERPT_COUNT,
    EXCERPTS_TOTAL_S,
    N_FFT,
    LongTermSpectrum,
    excerpt_starts,
    long_term_spectrum_db,
)
from aeib.runtime.windows import ArrayAudio


class CountingAudio(ArrayAudio):
    """ArrayAudio that counts the frames read through windows and through blocks."""

    def __init__(self, audio, sample_rate):
        super().__init__(audio, sample_rate)
        self.frames_read = 0

    def read_frames(self, start_frame, n_frames):
        self.frames_read += n_frames
        return super().read_frames(start_frame, n_frames)

    def iter_blocks(self, block_frames):
        for block in super().iter_blocks(block_frames):
            self.frames_read += block.shape[0]
            yield block


def whole_spectrum(blocks, rate):
    """The spectrum of these blocks fed in order (the sum over frames depends on the blocks)."""
    spectrum = LongTermSpectrum(rate)
    for block in blocks:
        spectrum.add(block)
    return spectrum.level_db()


@pytest.mark.parametrize("rate", [8_000, 44_100, 48_000, 96_000])
def test_excerpts_spread_over_the_whole_recording_in_whole_frames(rate):
    assert excerpt_starts(int(EXCERPTS_TOTAL_S * rate), rate) is None  # a minute is measured whole
    total = int(317.3 * rate)
    starts, length = excerpt_starts(total, rate)
    assert starts.shape == (EXCERPT_COUNT,) and length % N_FFT == 0
    assert starts[0] == 0 and starts[-1] + length == total
    assert np.all(np.diff(starts) >= length)  # no overlap
    assert EXCERPTS_TOTAL_S - EXCERPT_COUNT * N_FFT / rate <= EXCERPT_COUNT * length / rate <= EXCERPTS_TOTAL_S


def test_a_short_recording_is_measured_whole_bit_for_bit():
    rng = np.random.default_rng(0)
    audio = rng.standard_normal((int(50.0 * 8_000), 2)).astype(np.float32) * 0.1
    source = CountingAudio(audio, 8_000)
    freqs, level = long_term_spectrum_db(source, block_frames=10_000)
    expected = whole_spectrum([audio[i:i + 10_000] for i in range(0, audio.shape[0], 10_000)], 8_000)
    assert np.array_equal(freqs, expected[0]) and np.array_equal(level, expected[1])
    assert source.frames_read == audio.shape[0]


def test_a_long_recording_reads_only_its_excerpts_and_matches_the_whole_average():
    rate = 8_000
    rng = np.random.default_rng(1)
    noise = rng.standard_normal(int(300.0 * rate))
    coloured = np.convolve(noise, [1.0, 0.9, 0.5], mode="same")  # a fixed tilt, stationary
    loudness = np.linspace(0.3, 1.5, noise.size)  # a slow crescendo: the first minute is 8 dB below the mean
    audio = (0.05 * coloured * loudness).astype(np.float32)
    source = CountingAudio(audio, rate)
    freqs, level = long_term_spectrum_db(source)
    starts, length = excerpt_starts(audio.size, rate)
    assert source.frames_read == EXCERPT_COUNT * length  # about a minute of five
    assert np.array_equal(level, whole_spectrum([audio[s:s + length] for s in starts], rate)[1])
    whole_freqs, whole_level = whole_spectrum([audio], rate)
    assert np.array_equal(freqs, whole_freqs)
    # Per FFT bin an average of 60 frames scatters by about a dB; in bands of 64 bins (125 Hz) the
    # excerpts' average is the whole recording's.
    def banded(level_db):
        power = 10.0 ** (level_db[1:1 + 64 * 31] / 10.0)
        return 10.0 * np.log10(power.reshape(31, 64).mean(axis=1))

    difference = banded(level) - banded(whole_level)
    assert np.abs(difference).max() < 0.5

import numpy as np
import pytest

from aeib.audio import to_mono


@pytest.mark.parametrize("channels", [1, 2, 3, 7, 8, 11])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_mono_equals_the_mean_over_channels_bit_for_bit(channels, dtype):
    audio = np.random.default_rng(channels).standard_normal((4_001, channels)).astype(dtype)
    mono = to_mono(audio)
    assert mono.dtype == np.float64 and mono.shape == (4_001,)
    assert np.array_equal(mono, audio.astype(np.float64).mean(axis=1))
    assert not np.shares_memory(mono, audio)


def test_to_mono_keeps_a_mono_signal():
    audio = np.linspace(-1, 1, 9)
    assert np.array_equal(to_mono(audio), audio)

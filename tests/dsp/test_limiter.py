import numpy as np
import pytest

from aeib.dsp.limiter import CEILING_DBFS, SafetyLimiter

CEILING = 10 ** (CEILING_DBFS / 20)


@pytest.mark.parametrize("channels", [1, 2, 6])
def test_peaks_never_exceed_ceiling(channels):
    x = np.random.default_rng(channels).standard_normal((48000, channels)) * 2.0
    y = SafetyLimiter(48000).process_block(x)
    assert np.max(np.abs(y)) <= CEILING
    # Limiting is a gain, never a clip: the sign and channel ratios survive.
    assert np.all(np.sign(y) == np.sign(x))


def test_quiet_signal_is_untouched():
    x = np.random.default_rng(0).uniform(-CEILING, CEILING, (10000, 2))
    np.testing.assert_array_equal(SafetyLimiter(48000).process_block(x), x)


def test_gain_recovers_after_a_peak():
    x = np.full((48000, 1), 0.5)
    x[100] = 4.0
    y = SafetyLimiter(48000).process_block(x)[:, 0]
    assert y[100] == pytest.approx(CEILING)
    assert y[101] < 0.5  # still reduced right after the peak
    assert y[-1] == pytest.approx(0.5, rel=1e-6)  # recovered after many release time constants

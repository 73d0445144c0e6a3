import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.compressor import Compressor, static_curve_db, static_gain_reduction_db


def _params(**overrides):
    params = CHAIN_SCHEMA.defaults()
    params.update({f"comp.{k}": float(v) for k, v in overrides.items()})
    return params


def test_static_curve_regions():
    t, r, w = -20.0, 4.0, 6.0
    below, above = np.array([-40.0, -23.01]), np.array([-16.99, -10.0, 0.0])
    np.testing.assert_allclose(static_gain_reduction_db(below, t, r, w), 0.0)
    np.testing.assert_allclose(static_gain_reduction_db(above, t, r, w), (t + (above - t) / r) - above)
    # Inside the knee: the quadratic x + (1/R - 1)(x - T + W/2)^2 / 2W.
    x = np.linspace(-23, -17, 13)
    np.testing.assert_allclose(static_gain_reduction_db(x, t, r, w), (1 / r - 1) * (x - t + w / 2) ** 2 / (2 * w))


@pytest.mark.parametrize("knee", [0.0, 3.0, 12.0])
def test_static_curve_is_continuous_and_monotonic(knee):
    x = np.linspace(-60, 0, 6001)
    y = static_curve_db(x, _params(threshold_db=-30, ratio=6, knee_db=knee))
    assert np.all(np.diff(y) > 0)
    assert np.max(np.abs(np.diff(y))) < 0.011  # no jumps at the knee edges


@pytest.mark.parametrize("sample_rate", [16_000, 48_000])
@pytest.mark.parametrize("level_db", [-40.0, -20.0, -6.0])
def test_steady_state_sine_follows_static_curve(sample_rate, level_db):
    params = _params(threshold_db=-24, ratio=4, knee_db=0, attack_ms=1, release_ms=500)
    t = np.arange(sample_rate * 2) / sample_rate
    x = (10 ** (level_db / 20) * np.sin(2 * np.pi * 1000 * t))[:, None]
    y = Compressor(sample_rate, 1).process_block(x, params)
    tail = slice(sample_rate, None)
    out_peak_db = 20 * np.log10(np.max(np.abs(y[tail])))
    expected = static_curve_db(np.array([level_db]), params)[0]
    assert out_peak_db == pytest.approx(expected, abs=0.3)


@pytest.mark.parametrize("sample_rate", [24_000, 96_000])
@pytest.mark.parametrize("attack_ms, release_ms", [(5.0, 50.0), (20.0, 300.0)])
def test_attack_and_release_time_constants(sample_rate, attack_ms, release_ms):
    """Step the level up by 30 dB, then down: reduction covers 63 % of the step in one time constant."""
    params = _params(threshold_db=-40, ratio=20, knee_db=0, attack_ms=attack_ms, release_ms=release_ms)
    n = sample_rate
    x = np.full((2 * n, 1), 10 ** (-40 / 20))
    x[n // 2: n] *= 10 ** (30 / 20)  # DC steps keep the detector exact
    comp = Compressor(sample_rate, 1)
    gain_db = 20 * np.log10(comp.process_block(x, params)[:, 0] / x[:, 0])
    final = static_gain_reduction_db(np.array([-10.0]), -40, 20, 0)[0]
    k_attack = n // 2 + int(round(attack_ms * sample_rate / 1000))
    assert gain_db[k_attack] == pytest.approx((1 - np.exp(-1)) * final, rel=0.02)
    k_release = n + int(round(release_ms * sample_rate / 1000))
    start = gain_db[n - 1]
    assert gain_db[k_release] == pytest.approx(start * np.exp(-1), rel=0.02)


def test_stereo_link_applies_one_gain_to_all_channels():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4800, 2)) * np.array([0.5, 0.05])
    y = Compressor(48000, 2).process_block(x, _params(threshold_db=-30, ratio=8))
    np.testing.assert_allclose(y[:, 0] / x[:, 0], y[:, 1] / x[:, 1], rtol=1e-12)


def test_neutral_is_identity_and_makeup_is_a_gain():
    x = np.random.default_rng(0).standard_normal((1000, 2)) * 0.3
    np.testing.assert_array_equal(Compressor(48000, 2).process_block(x, _params()), x)
    y = Compressor(48000, 2).process_block(x, _params(makeup_db=6))
    np.testing.assert_allclose(y, x * 10 ** (6 / 20))


def test_reduction_never_positive_and_silence_stays_silent():
    comp = Compressor(48000, 1)
    y = comp.process_block(np.zeros((1000, 1)), _params(threshold_db=-60, ratio=20))
    assert np.all(y == 0)

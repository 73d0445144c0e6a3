import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.compressor import (
    _DB_PER_NEPER,
    _LEVEL_FLOOR,
    Compressor,
    static_curve_db,
    static_gain_reduction_db,
    time_constant_coef,
)
from tests.conftest import music_like


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


def _reference_compressor(x, sample_rate, params):
    """The compressor as the module docstring writes it, one sample at a time in plain Python (numpy's
    log and exp): the kernels must reproduce it bit for bit."""
    t, r, w, makeup = (params[f"comp.{k}"] for k in ("threshold_db", "ratio", "knee_db", "makeup_db"))
    attack, release = (time_constant_coef(params[f"comp.{k}"], sample_rate) for k in ("attack_ms", "release_ms"))
    level = _DB_PER_NEPER * np.log(np.maximum(np.abs(x).max(axis=1), _LEVEL_FLOOR))
    slope, smoothed, s = 1.0 / r - 1.0, np.empty(len(x)), 0.0
    for i, over in enumerate(level - t):
        if over <= -w / 2.0:
            target = 0.0
        elif over < w / 2.0:
            d = over + w / 2.0
            target = slope * d * d / (2.0 * w)
        else:
            target = slope * over
        coef = attack if target < s else release
        s = coef * s + (1.0 - coef) * target
        smoothed[i] = s
    return x * np.exp((smoothed + makeup) / _DB_PER_NEPER)[:, None]


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("overrides", [
    {}, {"ratio": 2.5, "threshold_db": -24.0, "knee_db": 8.0, "makeup_db": 4.0, "attack_ms": 15.0},
    {"ratio": 20.0, "threshold_db": -40.0, "knee_db": 0.0, "attack_ms": 0.1, "release_ms": 10.0},
    {"ratio": 4.0, "threshold_db": -12.0, "knee_db": 18.0, "makeup_db": -6.0},
])
def test_blocks_reproduce_the_reference_bit_for_bit(channels, overrides):
    rate = 48_000
    x = music_like(0.25, rate, channels, seed=channels).astype(np.float64) * 3.0
    params = _params(**overrides)
    expected = _reference_compressor(x, rate, params)
    for block in (1, 5, 1000, 8192, len(x)):
        comp = Compressor(rate, channels)
        out = np.concatenate([comp.process_block(x[i:i + block], params) for i in range(0, len(x), block)])
        assert np.array_equal(out, expected), (block, np.abs(out - expected).max())

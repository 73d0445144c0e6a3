import numpy as np
import pedalboard
import pytest
import scipy.signal

from aeib.dsp import CHAIN_SCHEMA
from aeib.dsp.biquad import sos_filter
from aeib.dsp.eq import NYQUIST_FRACTION, ParametricEQ, eq_response_db, eq_sos, peaking_sos, shelf_sos

RATES = [8_000, 22_050, 44_100, 48_000, 96_000, 192_000]


def _gain_at(sos, freq_hz, sample_rate):
    _, h = scipy.signal.sosfreqz(sos[None, :] if sos.ndim == 1 else sos, worN=[freq_hz], fs=sample_rate)
    return 20 * np.log10(abs(h[0]))


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("gain_db", [-18.0, -6.0, 6.0, 18.0])
def test_peaking_gain_at_center(sample_rate, gain_db):
    center = min(1000.0, 0.2 * sample_rate)
    assert _gain_at(peaking_sos(center, gain_db, 2.0, sample_rate), center, sample_rate) == pytest.approx(gain_db, abs=1e-6)


@pytest.mark.parametrize("sample_rate", RATES)
@pytest.mark.parametrize("gain_db", [-12.0, 9.0])
def test_shelves_reach_their_plateau(sample_rate, gain_db):
    low = shelf_sos(100.0, gain_db, 0.707, sample_rate, high=False)
    assert _gain_at(low, 10.0, sample_rate) == pytest.approx(gain_db, abs=0.1)
    assert abs(_gain_at(low, 0.4 * sample_rate, sample_rate)) < 0.1
    cutoff = 0.05 * sample_rate
    high = shelf_sos(cutoff, gain_db, 0.707, sample_rate, high=True)
    assert _gain_at(high, 0.499 * sample_rate, sample_rate) == pytest.approx(gain_db, abs=0.3)
    assert abs(_gain_at(high, cutoff / 30, sample_rate)) < 0.1
    # Half the plateau gain at the cutoff frequency (the cookbook's midpoint definition).
    assert _gain_at(high, cutoff, sample_rate) == pytest.approx(gain_db / 2, abs=0.05)


@pytest.mark.parametrize("sample_rate", RATES)
def test_every_setting_is_stable_even_above_nyquist(sample_rate):
    rng = np.random.default_rng(sample_rate)
    for _ in range(50):
        params = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(rng.uniform(size=len(CHAIN_SCHEMA))))
        params["eq.band4.center_hz"] = 16000.0  # far above Nyquist at 8 kHz: capped
        for row in eq_sos(params, sample_rate):
            assert np.all(np.abs(np.roots(row[3:])) < 1.0)


def test_frequencies_are_capped_below_nyquist():
    capped = peaking_sos(16000.0, 6.0, 1.0, 8000)
    at_cap = peaking_sos(NYQUIST_FRACTION * 4000, 6.0, 1.0, 8000)
    np.testing.assert_array_equal(capped, at_cap)


def test_flat_eq_is_identity():
    params = CHAIN_SCHEMA.defaults()
    np.testing.assert_allclose(eq_response_db(params, 48000, np.geomspace(20, 23000, 50)), 0.0, atol=1e-9)
    x = np.random.default_rng(0).standard_normal((1000, 2))
    np.testing.assert_array_equal(ParametricEQ(48000, 2).process_block(x, params), x)


@pytest.mark.parametrize("sample_rate", [44_100, 96_000])
@pytest.mark.parametrize(
    "name, reference",
    [
        ("band2", lambda f, g, q: pedalboard.PeakFilter(cutoff_frequency_hz=f, gain_db=g, q=q)),
        ("low_shelf", lambda f, g, q: pedalboard.LowShelfFilter(cutoff_frequency_hz=f, gain_db=g, q=q)),
        ("high_shelf", lambda f, g, q: pedalboard.HighShelfFilter(cutoff_frequency_hz=f, gain_db=g, q=q)),
    ],
)
def test_bands_match_pedalboard(sample_rate, name, reference):
    """pedalboard (JUCE) implements the same cookbook filters independently."""
    freq_key = "center_hz" if name.startswith("band") else "cutoff_hz"
    freq, gain, q = {"band2": (800.0, 7.5, 2.0), "low_shelf": (200.0, -6.0, 0.707), "high_shelf": (6000.0, 5.0, 0.9)}[name]
    params = CHAIN_SCHEMA.defaults()
    params.update({f"eq.{name}.gain_db": gain, f"eq.{name}.{freq_key}": freq, f"eq.{name}.q": q})
    x = np.random.default_rng(1).standard_normal((sample_rate // 4, 1)) * 0.1
    ours = ParametricEQ(sample_rate, 1).process_block(x, params)[:, 0]
    theirs = reference(freq, gain, q)(x[:, 0].astype(np.float32), sample_rate)
    theirs = np.asarray(theirs).reshape(-1)
    err = np.sqrt(np.mean((ours - theirs) ** 2)) / np.sqrt(np.mean(ours ** 2))
    assert err < 1e-3


@pytest.mark.parametrize("channels", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 4, 5, 6, 7, 1000])
@pytest.mark.parametrize("sections", [6, 4])
def test_pipelined_cascade_equals_sosfilt(channels, n, sections):
    rng = np.random.default_rng(n)
    params = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(rng.uniform(size=len(CHAIN_SCHEMA))))
    sos = eq_sos(params, 48000)[:sections]
    x = rng.standard_normal((n, channels))
    zi = rng.standard_normal((sections, channels, 2)) * 0.1
    y, zf = sos_filter(sos, x, zi)
    y_ref, zf_ref = scipy.signal.sosfilt(sos, x.T, axis=-1, zi=zi)
    np.testing.assert_allclose(y, y_ref.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(zf, zf_ref, rtol=0, atol=1e-12)


def test_empty_block():
    y, zf = sos_filter(np.tile([1.0, 0, 0, 1, 0, 0], (6, 1)), np.zeros((0, 2)), np.zeros((6, 2, 2)))
    assert y.shape == (0, 2) and zf.shape == (6, 2, 2)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("block", [1, 3, 5, 6, 7, 64, 8192])
def test_cascade_in_blocks_is_bit_identical_to_sosfilt(channels, block):
    # Channels run in pairs through the pipeline (an odd one alone): every channel, every block size
    # and the state carried between blocks must give exactly sosfilt's numbers.
    rng = np.random.default_rng(channels * 100 + block)
    params = CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(rng.uniform(size=len(CHAIN_SCHEMA))))
    sos = eq_sos(params, 48000)
    x = rng.standard_normal((3 * block + 11, channels))
    zi = rng.standard_normal((6, channels, 2)) * 0.1
    expected, expected_zf = scipy.signal.sosfilt(sos, x.T, axis=-1, zi=zi)
    pieces, z = [], zi
    for start in range(0, len(x), block):
        y, z = sos_filter(sos, x[start:start + block], z)
        pieces.append(y)
    assert np.array_equal(np.concatenate(pieces), expected.T) and np.array_equal(z, expected_zf)
    alone = [sos_filter(sos, x[:, c:c + 1], zi[:, c:c + 1])[0][:, 0] for c in range(channels)]
    assert np.array_equal(np.stack(alone, axis=1), expected.T)  # a channel's numbers do not depend on its pair

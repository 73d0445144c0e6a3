"""Test-time refinement: the EQ moves toward the reference's spectrum by the asked fraction, nothing else."""

import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA, process
from aeib.dsp.eq import eq_response_db
from aeib.runtime.refine import long_term_spectrum_db, refine_toward_reference
from aeib.runtime.windows import ArrayAudio
from tests.conftest import ANALYZER_LIKE_EQ

RATE = 24_000


def _music(seconds=6.0, seed=0):
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal(round(seconds * RATE))
    return (0.05 * np.cumsum(noise) / np.sqrt(np.arange(1, noise.size + 1)) + 0.05 * noise).astype(np.float32)


def _spectrum(audio, rate=RATE):
    return long_term_spectrum_db(ArrayAudio(audio, rate))


def test_strength_zero_is_the_analyzer_setting_and_bad_strengths_are_refused():
    params = CHAIN_SCHEMA.complete({"eq.band2.gain_db": 3.0})
    x = _music()
    assert refine_toward_reference(params, _spectrum(x), _spectrum(x), RATE, 0.0) == params
    from aeib.errors import ParameterError

    with pytest.raises(ParameterError, match="0–1"):
        refine_toward_reference(params, _spectrum(x), _spectrum(x), RATE, 1.5)


def test_refinement_moves_the_eq_toward_a_brighter_reference_by_the_asked_fraction():
    x = _music()
    bright = process(_music(seed=1), RATE, CHAIN_SCHEMA.complete({"eq.high_shelf.gain_db": 9.0}), limiter=False)
    neutral = CHAIN_SCHEMA.defaults()
    freqs = np.array([100.0, 8000.0])
    half = eq_response_db(refine_toward_reference(neutral, _spectrum(x), _spectrum(bright), RATE, 0.5), RATE, freqs)
    full = eq_response_db(refine_toward_reference(neutral, _spectrum(x), _spectrum(bright), RATE, 1.0), RATE, freqs)
    tilt_half, tilt_full = half[1] - half[0], full[1] - full[0]
    assert tilt_full > 4.0 and tilt_half == pytest.approx(tilt_full / 2, abs=1.5)
    refined = refine_toward_reference({**neutral, "comp.ratio": 4.0}, _spectrum(x), _spectrum(bright), RATE, 0.5)
    assert refined["comp.ratio"] == 4.0 and all(not k.startswith("comp.") or refined[k] == v
                                                 for k, v in {**neutral, "comp.ratio": 4.0}.items())
    CHAIN_SCHEMA.complete(refined)   # within every range


def test_reference_at_another_rate_is_matched_on_the_inputs_axis():
    x = _music()
    import soxr

    ref48 = soxr.resample(x, RATE, 48_000).astype(np.float32)
    refined = refine_toward_reference(CHAIN_SCHEMA.defaults(), _spectrum(x), _spectrum(ref48, 48_000), RATE, 1.0)
    response = eq_response_db(refined, RATE, np.geomspace(60, 9000, 20))
    assert np.max(np.abs(response)) < 2.0   # the same sound at another rate needs (almost) no EQ




def _near_a_bound(params, name, margin=0.02):
    value = CHAIN_SCHEMA.normalize(CHAIN_SCHEMA.to_vector(params))[CHAIN_SCHEMA.names.index(name)]
    return value <= margin or value >= 1.0 - margin


def test_a_vanishing_strength_keeps_the_analyzers_eq_response_whatever_its_qs():
    x = _music()
    bright = process(_music(seed=1), RATE, CHAIN_SCHEMA.complete({"eq.high_shelf.gain_db": 9.0}), limiter=False)
    refined = refine_toward_reference(ANALYZER_LIKE_EQ, _spectrum(x), _spectrum(bright), RATE, 1e-6)
    grid = np.geomspace(40.0, 10_000.0, 60)
    change = eq_response_db(refined, RATE, grid) - eq_response_db(ANALYZER_LIKE_EQ, RATE, grid)
    assert np.max(np.abs(change)) < 0.05
    assert all(refined[k] == v for k, v in ANALYZER_LIKE_EQ.items() if k.endswith(".q"))


def test_an_input_without_bass_and_a_full_range_reference_do_not_drive_the_low_shelf_to_its_bound():
    """Below a phone's high-pass the input has (almost) nothing, so the reference/input ratio there is
    huge; the refinement must not chase it to the end of the low shelf's range."""
    import scipy.signal

    full = _music(seconds=8.0, seed=2)
    highpass = scipy.signal.butter(8, 110.0, "highpass", fs=RATE, output="sos")
    phone = scipy.signal.sosfilt(highpass, _music(seconds=8.0, seed=3)).astype(np.float32)
    input_spectrum, reference_spectrum = _spectrum(phone), _spectrum(full)
    assert np.interp(50.0, *reference_spectrum) - np.interp(50.0, *input_spectrum) > 40.0   # the premise
    for analyzer in (CHAIN_SCHEMA.defaults(), ANALYZER_LIKE_EQ):
        refined = refine_toward_reference(analyzer, input_spectrum, reference_spectrum, RATE)
        assert not _near_a_bound(refined, "eq.low_shelf.gain_db"), refined["eq.low_shelf.gain_db"]
        for band in ("low_shelf", "band1", "band2", "band3", "band4", "high_shelf"):
            assert abs(refined[f"eq.{band}.gain_db"] - analyzer[f"eq.{band}.gain_db"]) < 6.0, band


def test_a_board_mix_like_bass_boost_is_not_pushed_to_the_bound_by_the_measured_curve():
    """The analyzer already puts +15 dB on both the low shelf and band 1 for a phone capture of a board
    mix; the unlimited measured curve (rb-dsp's ±18 dB clip) would take the shelf to its bound, the
    limited one does not."""
    import scipy.signal

    full = _music(seconds=8.0, seed=2)
    highpass = scipy.signal.butter(8, 110.0, "highpass", fs=RATE, output="sos")
    phone = scipy.signal.sosfilt(highpass, _music(seconds=8.0, seed=3)).astype(np.float32)
    board = CHAIN_SCHEMA.complete({"eq.low_shelf.gain_db": 15.5, "eq.low_shelf.cutoff_hz": 80.0,
                                   "eq.band1.gain_db": 15.0, "eq.band1.center_hz": 42.0, "eq.band1.q": 0.42,
                                   "eq.band3.gain_db": -6.0, "eq.band3.center_hz": 700.0, "eq.band3.q": 0.32})
    spectra = (_spectrum(phone), _spectrum(full))
    assert _near_a_bound(refine_toward_reference(board, *spectra, RATE, limit_db=18.0), "eq.low_shelf.gain_db")
    refined = refine_toward_reference(board, *spectra, RATE)
    assert not any(_near_a_bound(refined, f"eq.{band}.gain_db") for band in ("low_shelf", "band1"))
    assert all(refined[k] == board[k] for k in board if not k.endswith("gain_db"))   # gains only


def _style(spectrum):
    from aeib.runtime.bundle import Style

    return Style("tonal", "", np.zeros(8, dtype=np.float32), 0.4, spectrum)


def test_a_style_without_a_tonal_target_is_not_refined():
    from aeib.runtime.refine import refine_toward_style

    x = _music()
    params = dict(ANALYZER_LIKE_EQ)
    assert refine_toward_style(params, _spectrum(x), _style(None), RATE, 1.0) == params
    assert refine_toward_style(params, _spectrum(x), _style(_spectrum(x * 0.1)), RATE, 0.0) == params


def test_a_styles_tonal_target_moves_the_eq_toward_it_by_at_most_its_limit():
    """A brighter target: the EQ's top rises, by no more than the style's limit (the target is a mean of
    many songs, not this recording's match), and only the gains change."""
    from aeib.runtime.refine import STYLE_LIMIT_DB, refine_toward_style

    x = _music()
    bright = process(_music(seed=1), RATE, CHAIN_SCHEMA.complete({"eq.high_shelf.gain_db": 9.0}), limiter=False)
    neutral = CHAIN_SCHEMA.defaults()
    refined = refine_toward_style(neutral, _spectrum(x), _style(_spectrum(bright)), RATE, 1.0)
    low, high = eq_response_db(refined, RATE, np.array([100.0, 8000.0]))
    assert 0.4 * STYLE_LIMIT_DB < high - low <= 2.0 * STYLE_LIMIT_DB + 0.3
    assert all(refined[k] == neutral[k] for k in neutral if not k.endswith("gain_db"))
    # the same reference spectrum as a reference is matched up to MEASURED_LIMIT_DB instead
    as_reference = refine_toward_reference(neutral, _spectrum(x), _spectrum(bright), RATE, 1.0)
    assert np.diff(eq_response_db(as_reference, RATE, np.array([100.0, 8000.0])))[0] > high - low + 1.0


def test_above_a_styles_highest_frequency_the_eq_stays_the_analyzers():
    """A style's target measured at 24 kHz ends at 12 kHz; a 48 kHz recording's top octave is not matched
    to the target's last level held flat (which would boost a top the recording does not have)."""
    import scipy.signal

    from aeib.runtime.refine import STYLE_LIMIT_DB, refine_toward_style

    rate = 48_000
    rng = np.random.default_rng(5)
    lowpass = scipy.signal.butter(8, 11_000.0, "lowpass", fs=rate, output="sos")
    x = scipy.signal.sosfilt(lowpass, 0.05 * rng.standard_normal(6 * rate)).astype(np.float32)
    freqs, level = long_term_spectrum_db(ArrayAudio(x, rate))
    own = (freqs[freqs <= 12_000.0], level[freqs <= 12_000.0])   # the recording's own sound, measured to 12 kHz
    neutral = CHAIN_SCHEMA.defaults()
    refined = refine_toward_style(neutral, (freqs, level), _style(own), rate, 1.0)
    assert max(abs(refined[k]) for k in refined if k.endswith("gain_db")) < 0.2
    held = refine_toward_reference(neutral, (freqs, level), own, rate, 1.0, STYLE_LIMIT_DB)
    assert held["eq.high_shelf.gain_db"] > 0.3


def test_match_moves_the_fixed_refinement_on_toward_the_whole_measured_match():
    x = _music(seed=4)
    dark = process(x, RATE, {"eq.high_shelf.gain_db": -15.0, "eq.high_shelf.cutoff_hz": 2500.0}, limiter=False)
    neutral = CHAIN_SCHEMA.defaults()

    def high_gain(match):
        refined = refine_toward_reference(neutral, _spectrum(dark), _spectrum(x), RATE, 1.0, match=match)
        return float(eq_response_db(refined, RATE, np.array([8000.0]))[0] - eq_response_db(refined, RATE, np.array([300.0]))[0])

    # 0: the match clipped to ±6 dB; 1: to the EQ's ±18 dB, which undoes more of the 15 dB cut.
    assert high_gain(0.0) < high_gain(0.5) < high_gain(1.0)
    assert high_gain(1.0) > 10.0 > 7.0 > high_gain(0.0)

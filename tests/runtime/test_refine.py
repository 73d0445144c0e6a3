"""Test-time refinement: the EQ moves toward the reference's spectrum by the asked fraction, nothing else."""

import numpy as np
import pytest

from aeib.dsp import CHAIN_SCHEMA, process
from aeib.dsp.eq import eq_response_db
from aeib.runtime.refine import long_term_spectrum_db, refine_toward_reference
from aeib.runtime.windows import ArrayAudio

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

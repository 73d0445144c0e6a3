"""Fuzzing the DSP chain (hypothesis): any setting the schema allows, hostile signals, every rate.

Properties:

* the output is finite and has the input's shape, for every point of the normalized parameter cube
  and for extreme physical values (each parameter at its minimum or maximum);
* with the safety limiter on, no sample exceeds the −0.3 dBFS ceiling;
* with it off, the output obeys the bound that the physics gives:
  ``max|y| ≤ ‖h_EQ‖₁ · 10^(makeup/20) · max|x|``
  (the compressor never adds gain beyond its makeup; ``‖h_EQ‖₁`` is the EQ impulse response's L1 norm);
* every EQ biquad is stable (poles strictly inside the unit circle) at every rate;
* streaming in arbitrary block sizes gives exactly the whole-signal output.

Example counts are bounded so the file runs in well under 30 s; set ``AEIB_FUZZ_EXAMPLES=5000`` for a
longer hunt.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.signal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aeib.dsp import CHAIN_SCHEMA, ChainProcessor, process
from aeib.dsp.eq import eq_sos
from aeib.dsp.limiter import CEILING_DBFS

CEILING = 10 ** (CEILING_DBFS / 20)
RATES_HZ = (8_000, 11_025, 22_050, 44_100, 48_000, 96_000, 192_000)
FUZZ = settings(max_examples=int(os.environ.get("AEIB_FUZZ_EXAMPLES", 60)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

unit_vectors = st.lists(st.floats(0.0, 1.0), min_size=len(CHAIN_SCHEMA), max_size=len(CHAIN_SCHEMA)).map(np.array)
# Each parameter at its minimum, its maximum or its default: the corners of the physical ranges.
extreme_settings = st.lists(st.sampled_from(("min", "max", "default")), min_size=len(CHAIN_SCHEMA),
                            max_size=len(CHAIN_SCHEMA)).map(
    lambda picks: {spec.name: getattr(spec, pick) for spec, pick in zip(CHAIN_SCHEMA, picks)})
settings_strategy = st.one_of(unit_vectors.map(lambda u: CHAIN_SCHEMA.to_dict(CHAIN_SCHEMA.denormalize(u))),
                              extreme_settings)


@st.composite
def signals(draw) -> np.ndarray:
    """float64[samples, channels]: noise, impulses, full-scale square waves, denormal-range values, silence."""
    n = draw(st.integers(1, 3_000))
    channels = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(("noise", "impulses", "square", "denormal", "silence", "dc")))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "noise":
        audio = rng.standard_normal((n, channels)) * draw(st.floats(1e-6, 4.0))
    elif kind == "impulses":
        audio = np.zeros((n, channels))
        audio[rng.integers(0, n, max(1, n // 500)), :] = draw(st.sampled_from((1.0, -1.0, 4.0)))
    elif kind == "square":
        period = draw(st.integers(2, 400))
        audio = np.repeat(np.where((np.arange(n) // (period // 2 or 1)) % 2 == 0, 1.0, -1.0)[:, None], channels, 1)
    elif kind == "denormal":
        audio = rng.standard_normal((n, channels)) * 1e-310  # float64 subnormals
    elif kind == "silence":
        audio = np.zeros((n, channels))
    else:
        audio = np.full((n, channels), draw(st.sampled_from((1.0, -1.0, 0.5, 1e-9))))
    return audio


def eq_l1_norm(params: dict, sample_rate: int) -> float:
    """‖h‖₁ of the EQ cascade from its impulse response, computed until the response has decayed.

    The response is filtered in chunks and stops once a chunk's peak falls under 1e-13; the rest of
    the sum is then below 1e-13 / (1 − r) < 1e-7 for the slowest pole radius r the schema allows, far
    inside the test's tolerance. (Running on into the float64 subnormal range would be very slow.)
    """
    sos = eq_sos(params, sample_rate)
    state = np.zeros((sos.shape[0], 2))
    chunk = np.zeros(8192)
    chunk[0] = 1.0
    total = 0.0
    for _ in range(64):
        response, state = scipy.signal.sosfilt(sos, chunk, zi=state)
        total += float(np.abs(response).sum())
        if np.max(np.abs(response)) < 1e-13:
            break
        chunk = np.zeros(8192)
    return total


@FUZZ
@given(params=settings_strategy, audio=signals(), sample_rate=st.sampled_from(RATES_HZ))
def test_limited_output_is_finite_same_shape_and_under_the_ceiling(params, audio, sample_rate):
    y = process(audio, sample_rate, params)
    assert y.shape == audio.shape
    assert np.isfinite(y).all()
    assert np.max(np.abs(y)) <= CEILING


@FUZZ
@given(params=settings_strategy, audio=signals(), sample_rate=st.sampled_from(RATES_HZ))
def test_unlimited_output_obeys_the_gain_bound(params, audio, sample_rate):
    y = process(audio, sample_rate, params, limiter=False)
    assert y.shape == audio.shape and np.isfinite(y).all()
    bound = eq_l1_norm(params, sample_rate) * 10 ** (params["comp.makeup_db"] / 20) * np.max(np.abs(audio))
    assert np.max(np.abs(y)) <= bound * (1 + 1e-6) + 1e-300


@settings(max_examples=200, deadline=None)
@given(params=settings_strategy, sample_rate=st.sampled_from(RATES_HZ))
def test_every_eq_biquad_is_stable(params, sample_rate):
    sos = eq_sos(params, sample_rate)
    assert np.isfinite(sos).all()
    for section in sos:
        poles = np.roots(section[3:])
        assert np.all(np.abs(poles) < 1.0 - 1e-9), (section, np.abs(poles))


@settings(max_examples=30, deadline=None)
@given(params=settings_strategy, audio=signals(), sample_rate=st.sampled_from(RATES_HZ),
       cuts=st.lists(st.integers(0, 3_000), max_size=6))
def test_streaming_in_any_blocks_equals_the_whole_signal(params, audio, sample_rate, cuts):
    whole = process(audio, sample_rate, params)
    chain = ChainProcessor(sample_rate, audio.shape[1], params)
    edges = [0, *sorted(c for c in cuts if c < audio.shape[0]), audio.shape[0]]
    streamed = np.concatenate([chain.process_block(audio[a:b]) for a, b in zip(edges[:-1], edges[1:])])
    np.testing.assert_array_equal(streamed, whole)
